// A 403 api.insufficient_scope on /api/v1 says which scope it lacks, in the RFC 6750 §3
// challenge (docs/API.md, API clients: `error="insufficient_scope", scope="<needed>"`), so an
// automation tool can ask for a token with it or tell its operator what to grant. Two
// refusals decided in the handlers (not by the guard's requiredScope) carried none; the
// challenge is now written where every error is rendered (sendError), from the scope the
// refusal names (lacksScope), and the walk below holds every route to it. Found by an audit
// of the admin API.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, callApi, company, tokenFor } from '../helpers/api-clients.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('/api/v1: every insufficient_scope refusal carries its Bearer challenge', () => {
  let server: TestServer;
  let alpha: { companyId: string };

  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
    alpha = await company(server, 'Alpha Support', 'alma');
  });
  after(() => server.close());

  test('a platform client without companies:read reading one company is told the scope it needs', async () => {
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read'], companyId: null });
    const token = await tokenFor(server, client.clientId, clientSecret);
    // The same client on the list of companies gets the challenge (the guard's check).
    const list = await callApi(server, '/api/v1/companies', token);
    assert.equal(list.status, 403);
    assert.equal(list.headers.get('www-authenticate'), 'Bearer realm="Gatehouse API", error="insufficient_scope", scope="companies:read"');

    const one = await callApi(server, `/api/v1/companies/${alpha.companyId}`, token);
    assert.equal(one.status, 403, JSON.stringify(one.body));
    assert.equal(one.body.code, 'api.insufficient_scope');
    assert.equal(one.headers.get('www-authenticate'), 'Bearer realm="Gatehouse API", error="insufficient_scope", scope="companies:read"');
  });

  test("a company client holding modules:read refused the platform's module catalogue gets a challenge too", async () => {
    const { client, clientSecret } = await apiClient(server, { scopes: ['modules:read'], companyId: alpha.companyId });
    const token = await tokenFor(server, client.clientId, clientSecret);
    assert.equal((await callApi(server, `/api/v1/companies/${alpha.companyId}/modules`, token)).status, 200);
    const catalogue = await callApi(server, '/api/v1/modules', token);
    assert.equal(catalogue.status, 403, JSON.stringify(catalogue.body));
    assert.equal(catalogue.body.code, 'api.insufficient_scope');
    assert.match(catalogue.headers.get('www-authenticate') ?? '(none)', /^Bearer realm="Gatehouse API", error="insufficient_scope"/);
  });

  test('every /api/v1 read a company client may not make is refused with the challenge naming a scope', async () => {
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read'], companyId: alpha.companyId });
    const token = await tokenFor(server, client.clientId, clientSecret);
    const document = (await server.agent().get('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const refused: string[] = [];
    for (const [template, operations] of Object.entries(document.paths)) {
      if (!template.startsWith('/api/v1/') || !('get' in operations)) continue;
      const path = template.replace('{companyId}', alpha.companyId).replace(/\{[A-Za-z]+\}/g, '00000000-0000-4000-8000-000000000000');
      const answer = await callApi(server, path, token);
      if (answer.status !== 403) continue;
      refused.push(template);
      assert.equal(answer.body.code, 'api.insufficient_scope', `${template}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.headers.get('www-authenticate') ?? '(none)', /^Bearer realm="Gatehouse API", error="insufficient_scope", scope="[a-z]+:[a-z]+"$/, template);
    }
    for (const platform of ['/api/v1/modules', '/api/v1/companies', '/api/v1/requests']) assert.ok(refused.includes(platform), `${platform} among ${refused.join(', ')}`);
  });
});

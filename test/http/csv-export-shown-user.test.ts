// A CSV export is a plain link, and a navigation sends no X-Gatehouse-User header: a tab
// left on Dana of Acme, after another tab logged in as Erin of Beta, downloaded Beta's
// trail under Acme's page. Every session CSV route takes the page's user in the URL
// (shownUser) and refuses another's like the header (409 session.changed); the routes are
// read from the OpenAPI document, so a new export is held to it too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, type SignedInCompany } from '../helpers/company-admin.ts';
import { logIn, signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import type { Agent } from '../helpers/agent.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

interface Operation {
  security?: Array<Record<string, unknown>>;
  parameters?: Array<{ name: string; in: string }>;
}

describe('CSV exports name the user their page shows', () => {
  let server: TestServer;
  let operator: { agent: Agent; id: string };
  let acme: SignedInCompany;
  let beta: SignedInCompany;
  before(async () => {
    server = await startTestServer();
    const signedIn = await signedInOperator(server);
    operator = { agent: signedIn.agent, id: (await signedIn.agent.get('/api/me')).body.user.id as string };
    acme = await companyWithRootMaster(server, operator.agent, 'Acme Managed IT', 'dana@acme.test');
    beta = await companyWithRootMaster(server, operator.agent, 'Beta Networks', 'erin@beta.test');
  });
  after(() => server.close());

  /** Every CSV download a browser session reaches (not /api/v1's, which take a bearer token only). */
  async function sessionCsvRoutes(): Promise<Array<[string, Operation]>> {
    const document = (await server.agent().get('/api/openapi.json')).body as { paths: Record<string, { get?: Operation }> };
    return Object.entries(document.paths).flatMap(([path, methods]) =>
      path.endsWith('.csv') && methods.get?.security?.some((scheme) => 'session' in scheme) ? [[path, methods.get] as [string, Operation]] : [],
    );
  }

  test('every session CSV route declares shownUser, refuses another user with 409 session.changed and serves its own', async () => {
    const routes = await sessionCsvRoutes();
    assert.deepEqual(
      routes.map(([path]) => path).sort(),
      ['/api/company/audit.csv', '/api/company/compliance.csv', '/api/operator/audit.csv', '/api/operator/compliance.csv'],
    );
    for (const [path, operation] of routes) {
      assert.ok(operation.parameters?.some((p) => p.name === 'shownUser' && p.in === 'query'), `${path} declares shownUser`);
      const { agent, id } = path.startsWith('/api/operator/') ? operator : { agent: acme.root.agent, id: acme.root.id };
      const stale = await agent.get(`${path}?shownUser=${beta.root.id}`);
      assert.equal(stale.status, 409, `${path}: ${String(stale.body)}`);
      assert.equal((stale.body as { error: { code: string } }).error.code, 'session.changed', path);
      const own = await agent.get(`${path}?shownUser=${id}`);
      assert.equal(own.status, 200, `${path}: ${JSON.stringify(own.body)}`);
      assert.match(own.headers.get('content-type') ?? '', /^text\/csv/, path);
    }
  });

  test("Dana's stale export link, once the browser is Erin's, downloads nothing of Beta's", async () => {
    const browser = server.agent();
    await logIn(server, browser, { username: acme.root.username, companyName: acme.companyName, password: STRONG_PASSWORD, totpSecret: acme.root.totpSecret });
    server.clock.advance(30_000);
    await logIn(server, browser, { username: beta.root.username, companyName: beta.companyName, password: STRONG_PASSWORD, totpSecret: beta.root.totpSecret });
    for (const path of ['/api/company/audit.csv?action=login.', '/api/company/compliance.csv']) {
      const answer = await browser.get(`${path}${path.includes('?') ? '&' : '?'}shownUser=${acme.root.id}`);
      assert.equal(answer.status, 409, path);
      assert.ok(!JSON.stringify(answer.body).includes(beta.root.username), `${path} names no one of Beta`);
    }
    // Without the parameter (a script, an older page) the export is the session's, as before.
    assert.equal((await browser.get('/api/company/compliance.csv')).status, 200);
  });
});

// An account request entered on a company's behalf names who entered it in the audit
// trail: a platform API client (POST /api/v1/requests) or an operator in the console
// (POST /api/operator/requests). Approving such a request makes a company and mails its
// Root Master a Sign Up link; the request was saved with no event at all, so nothing said
// which client or operator (or anyone) had entered it (enterAccountRequest,
// src/companies/onboarding.ts). The public form's requests have no one to name, and
// record nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const request = (companyName: string, email: string) => ({ companyName, contactName: 'Gail Gamma', email, phone: '+1 555 0100' });

describe('an account request entered on a company\'s behalf is audited with who entered it', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({});
  });
  after(() => server.close());

  const eventsFor = (target: string) => server.gatehouse.deps.db.selectFrom('audit_events').selectAll().where('target', '=', target).execute();

  test('by a platform API client: the client is the actor', async () => {
    const { client, clientSecret } = await apiClient(server, { name: 'MSP onboarding', scopes: ['requests:read', 'requests:write'], companyId: null });
    const token = await tokenFor(server, client.clientId, clientSecret);
    const created = await sendApi(server, 'POST', '/api/v1/requests', token, request('Gamma Networks', 'gail@gamma.test'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const events = await eventsFor(created.body.id);
    assert.deepEqual(
      events.map((event) => [event.action, event.actor_id, event.actor_client_id, event.company_id]),
      [['company.request_entered', null, client.id, null]],
    );
  });

  test('by an operator in the console: the operator is the actor', async () => {
    const operator = await signedInOperator(server);
    const me = (await operator.agent.get('/api/me')).body;
    const created = await operator.agent.post('/api/operator/requests', request('Delta Networks', 'dora@delta.test'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const events = await eventsFor(created.body.id);
    assert.deepEqual(
      events.map((event) => [event.action, event.actor_id, event.actor_client_id]),
      [['company.request_entered', me.user?.id ?? me.id, null]],
    );
  });

  test('by the public form: no one to name, nothing recorded', async () => {
    const created = await server.agent().post('/api/account-requests', request('Epsilon Networks', 'eve@epsilon.test'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(await eventsFor(created.body.id), []);
  });
});

// RP-initiated logout is for modules: its confirmation ("Do you want to log out from
// <Module> and Gatehouse?") and its last page ("You are logged out of <Module>") name the
// module by the name an operator registered (docs/MODULES.md, section 1 and 7). An API
// client is not a module: it signs nobody in and has nothing to log out of. Yet any
// company's Master can create one, name it freely (100 characters), and its client_id is
// then taken by /oidc/session/end and /oidc/session/end/success like a module's: a link
// on Gatehouse's own origin, sent to a user of ANY company, shows that Master's text as
// the application the user is logging out of, or says the user was logged out of it.
// The provider now finds an API client only on the routes it uses (token, introspection,
// revocation: apiClientWhereServed, src/modules/oidc/clients.ts); on every browser route its
// id is as unknown as a made-up one.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signedInOperator } from '../helpers/journey.ts';
import { companyWithRootMaster, grantedModule, nextTotpCode, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const NAV = { accept: 'text/html,application/xhtml+xml', 'sec-fetch-site': 'cross-site' };
const BAIT = 'Account locked - call 555 0100 now';

let server: TestServer;
let victim: Person;
let evilClientId: string;

before(async () => {
  server = await startTestServer({ realClock: true });
  const operator = await signedInOperator(server);
  victim = await companyWithRootMaster(server, operator.agent);
  await grantedModule(server, operator.agent, victim.companyId, { name: 'Ticketing' });
  // A Master of another company makes an API client, with proof, as the API allows.
  const evil = await companyWithRootMaster(server, operator.agent);
  const created = await evil.agent.post('/api/company/api-clients', {
    name: BAIT,
    scopes: ['users:read'],
    password: evil.password,
    code: await nextTotpCode(evil.totpSecret),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  evilClientId = created.body.client.clientId;
});
after(() => server.close());

test("an API client's client_id is no module's: the logout page refuses it and shows none of its name", async () => {
  const page = await victim.agent.get(`/oidc/session/end?${new URLSearchParams({ client_id: evilClientId })}`, NAV);
  const body = String(page.body);
  assert.ok(!body.includes(BAIT), `another company's API client name shown on Gatehouse's logout page (status ${page.status}): ${/<p>.*?<\/p>/s.exec(body)?.[0]}`);
  assert.equal(page.status, 400, 'refused as a client that is no module');
});

test("the logout's last page does not name an API client as what the user was logged out of", async () => {
  const page = await victim.agent.get(`/oidc/session/end/success?${new URLSearchParams({ client_id: evilClientId })}`, NAV);
  const body = String(page.body);
  assert.ok(!body.includes(BAIT), `another company's API client name shown as a logged-out application (status ${page.status}): ${/<h1>.*?<\/p>/s.exec(body)?.[0]}`);
});

test("on every browser route of the provider an API client's id is unknown, its name shown nowhere", async () => {
  const authorization = new URLSearchParams({ client_id: evilClientId, response_type: 'code', scope: 'openid', redirect_uri: 'https://evil.test/cb', state: 's', nonce: 'n', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
  for (const path of [`/oidc/auth?${authorization}`, `/oidc/session/end?${new URLSearchParams({ client_id: evilClientId, post_logout_redirect_uri: 'https://evil.test/bye' })}`]) {
    const page = await victim.agent.get(path, NAV);
    assert.equal(page.status, 400, path);
    assert.ok(!String(page.body).includes(BAIT), `${path}: ${String(page.body).slice(0, 400)}`);
    assert.equal(page.headers.get('location'), null, path);
  }
});

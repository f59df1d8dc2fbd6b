// What /api/v1 does to people's access, as a company's tooling and its Masters see it:
// resetting a user's 2FA (directly, or waiting for a Master under the two-person rule,
// where the Master holding the client's secret counts as the one who asked), a user's
// sessions (list, end one, end all), and switching the company's modules with its own
// client. Each refusal an attacker would try: missing scope, another company, the Root
// Master, a client deciding an approval, a malformed handle.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { grantModule } from '../../src/modules/index.ts';
import type { Agent } from '../helpers/agent.ts';
import { sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, dbOf, invitedMember, logInAgain, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { logIn, STRONG_PASSWORD } from '../helpers/journey.ts';
import { storedTestModule } from '../helpers/oidc.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

interface Answer {
  status: number;
  body: any;
}

for (const engine of await enginesUnderTest()) describe(`/api/v1 on people's access (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let other: SignedInCompany;
  let mia: Person; // a Master of Acme, who creates the API client
  let uma: Person; // a User of Acme
  let client: { clientId: string; token: string };
  let narrow: string; // Acme's client with users:read and users:write only

  const send = (method: string, path: string, token: string, body?: unknown): Promise<Answer> => sendApi(server, method, path, token, body);
  const v1 = (path: string) => `/api/v1/companies/${acme.companyId}${path}`;
  const expectProblem = (answer: Answer, status: number, code: string) => {
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.equal(answer.body.code, code);
  };
  /** An API client made in the console by `master`, who then holds its secret; with a token. */
  async function consoleClient(master: Person, name: string, scopes: string[]) {
    const created = await master.agent.post('/api/company/api-clients', { name, scopes, ...proofOf(server, master) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return { clientId: created.body.client.clientId as string, token: await tokenFor(server, created.body.client.clientId, created.body.clientSecret) };
  }
  const secretOf = async (userId: string) =>
    (await dbOf(server).selectFrom('users').select('totp_secret').where('id', '=', userId).executeTakeFirstOrThrow()).totp_secret;
  const signedIn = async (agent: Agent) => (await agent.get('/api/me')).status === 200;
  /** Uma enrolls again after a reset, signed in by that login. */
  async function umaEnrollsAgain() {
    const agent = server.agent();
    const enrolled = await logIn(server, agent, { username: uma.username, companyName: acme.companyName, password: STRONG_PASSWORD });
    uma = { ...uma, agent, totpSecret: enrolled.totpSecret };
  }
  /** The console's error shape (the web app's): { error: { code } }. */
  const consoleRefused = (answer: Answer, status: number, code: string) => {
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.equal(answer.body.error.code, code);
  };
  const trail = (action: string) =>
    dbOf(server).selectFrom('audit_events').selectAll().where('company_id', '=', acme.companyId).where('action', '=', action).orderBy('id', 'desc').execute();

  before(async () => {
    server = await startTestServer({ engine });
    const operator = await operatorAgent(server);
    acme = await companyWithRootMaster(server, operator, 'Acme Managed IT', 'root@acme.test');
    other = await companyWithRootMaster(server, operator, 'Other Company', 'root@other.test');
    mia = await invitedMember(server, acme, acme.root.agent, { username: 'mia', role: 'master' });
    uma = await invitedMember(server, acme, acme.root.agent, { username: 'uma', role: 'user' });
    client = await consoleClient(mia, 'Offboarding script', ['users:read', 'users:write', 'mfa:reset', 'modules:read', 'modules:switch']);
    narrow = (await consoleClient(acme.root, 'Directory sync', ['users:read', 'users:write'])).token;
  });
  after(() => server.close());

  test("a client with mfa:reset resets a user's 2FA: signed out, enrolls again; others are refused", async () => {
    expectProblem(await send('POST', v1(`/users/${uma.id}/reset-2fa`), narrow), 403, 'api.insufficient_scope');
    expectProblem(await send('POST', v1(`/users/${acme.root.id}/reset-2fa`), client.token), 403, 'user.root_master_protected');
    expectProblem(await send('POST', `/api/v1/companies/${other.companyId}/users/${other.root.id}/reset-2fa`, client.token), 404, 'request.not_found');
    expectProblem(await send('POST', v1(`/users/${other.root.id}/reset-2fa`), client.token), 404, 'request.not_found');

    const reset = await send('POST', v1(`/users/${uma.id}/reset-2fa`), client.token);
    assert.deepEqual([reset.status, reset.body], [200, { status: 'reset' }]);
    assert.equal(await secretOf(uma.id), null);
    assert.equal(await signedIn(uma.agent), false, 'every session of the user ended');
    const [event] = await trail('user.2fa_reset');
    assert.equal(event?.actor_id, null);
    assert.ok(event?.actor_client_id, 'the trail names the API client');
    expectProblem(await send('POST', v1(`/users/${uma.id}/reset-2fa`), client.token), 409, 'user.not_enrolled');
    await umaEnrollsAgain();
  });

  test("under the two-person rule a client's reset waits; the Master holding its secret cannot approve, another can; the client never decides", async () => {
    const policy = await acme.root.agent.post('/api/company/policy', { twoPerson2faReset: true });
    assert.equal(policy.status, 200, JSON.stringify(policy.body));

    const asked = await send('POST', v1(`/users/${uma.id}/reset-2fa`), client.token);
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    assert.equal(asked.body.status, 'pending');
    const { approvalId } = asked.body;
    assert.ok(await secretOf(uma.id), 'nothing is reset yet');

    const listed = await send('GET', v1('/approvals'), narrow);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(
      listed.body.approvals.map((a: any) => [a.id, a.target.username, a.requestedBy.id, a.requestedBy.apiClient?.name, a.canApprove]),
      [[approvalId, 'uma', null, 'Offboarding script', false]],
    );
    // Mia made the client: its request is hers, so she is not the second person.
    const seenByMia = (await mia.agent.get('/api/company/approvals')).body.approvals;
    assert.equal(seenByMia[0].canApprove, false);
    consoleRefused(await mia.agent.post(`/api/company/approvals/${approvalId}/approve`), 403, 'approval.needs_second_master');
    // No route lets a client decide.
    assert.equal((await send('POST', v1(`/approvals/${approvalId}/approve`), client.token)).status, 404);
    assert.equal((await send('POST', `/api/company/approvals/${approvalId}/approve`, client.token)).status, 401);

    assert.equal((await acme.root.agent.get('/api/company/approvals')).body.approvals[0].canApprove, true);
    assert.equal((await acme.root.agent.post(`/api/company/approvals/${approvalId}/approve`)).status, 200);
    assert.equal(await secretOf(uma.id), null);
    assert.equal(await signedIn(uma.agent), false);
    const [approved] = await trail('user.2fa_reset_approved');
    assert.equal(JSON.parse(approved?.detail ?? '{}').requestedByClient !== null, true);
    await umaEnrollsAgain();
  });

  test("rotating a client's secret makes the rotating Master its holder", async () => {
    const rotated = await acme.root.agent.post(`/api/company/api-clients/${client.clientId}/rotate`, proofOf(server, acme.root));
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    client = { clientId: client.clientId, token: await tokenFor(server, client.clientId, rotated.body.clientSecret) };

    const asked = await send('POST', v1(`/users/${uma.id}/reset-2fa`), client.token);
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    consoleRefused(await acme.root.agent.post(`/api/company/approvals/${asked.body.approvalId}/approve`), 403, 'approval.needs_second_master');
    // Rejecting is open to any Master: it changes nothing.
    assert.equal((await acme.root.agent.post(`/api/company/approvals/${asked.body.approvalId}/reject`)).status, 200);
    assert.ok(await secretOf(uma.id));

    const again = await send('POST', v1(`/users/${uma.id}/reset-2fa`), client.token);
    assert.equal((await mia.agent.post(`/api/company/approvals/${again.body.approvalId}/approve`)).status, 200);
    assert.equal(await secretOf(uma.id), null);
    await acme.root.agent.post('/api/company/policy', { twoPerson2faReset: false });
    await umaEnrollsAgain();
  });

  test('a rotation withdraws what the client asked under its previous holder: who asked cannot approve it afterwards', async () => {
    assert.equal((await acme.root.agent.post('/api/company/policy', { twoPerson2faReset: true })).status, 200);
    try {
      const mias = await consoleClient(mia, 'Mia script', ['mfa:reset']);
      const asked = await send('POST', v1(`/users/${uma.id}/reset-2fa`), mias.token);
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      consoleRefused(await mia.agent.post(`/api/company/approvals/${asked.body.approvalId}/approve`), 403, 'approval.needs_second_master');
      // A routine rotation by another Master: the secret, and the bar, move to them.
      assert.equal((await acme.root.agent.post(`/api/company/api-clients/${mias.clientId}/rotate`, proofOf(server, acme.root))).status, 200);
      consoleRefused(await mia.agent.post(`/api/company/approvals/${asked.body.approvalId}/approve`), 409, 'approval.not_pending');
      assert.ok(await secretOf(uma.id), "one person never resets Uma's 2FA");
      assert.deepEqual((await acme.root.agent.get('/api/company/approvals')).body.approvals, []);
      const [rotation] = await trail('api_client.secret_rotated');
      assert.deepEqual(JSON.parse(rotation?.detail ?? '{}').approvalsWithdrawn, [asked.body.approvalId]);
    } finally {
      await acme.root.agent.post('/api/company/policy', { twoPerson2faReset: false });
    }
  });

  test("a user's sessions: listed by handle, one ended, then all; the Root Master's are read-only", async () => {
    const second = await logInAgain(server, acme, uma);
    const listed = await send('GET', v1(`/users/${uma.id}/sessions`), narrow);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.equal(listed.body.sessions.length, 2);
    for (const session of listed.body.sessions) {
      assert.match(session.id, /^[0-9a-f]{16}$/);
      assert.deepEqual(Object.keys(session).sort(), ['createdAt', 'id', 'ip', 'lastSeenAt', 'lastSeenIp', 'userAgent']);
    }
    // The console shows the same list to a Master.
    const inConsole = await acme.root.agent.get(`/api/company/users/${uma.id}/sessions`);
    assert.deepEqual(inConsole.body.sessions.map((s: any) => s.id).sort(), listed.body.sessions.map((s: any) => s.id).sort());

    // The newest-used session is the second login's: ending it leaves the first.
    const newest = listed.body.sessions[0].id as string;
    assert.equal((await second.agent.get('/api/me')).status, 200);
    expectProblem(await send('POST', v1(`/users/${uma.id}/sessions/${newest}/end`), client.token.slice(0, 10)), 401, 'api.invalid_token');
    const ended = await send('POST', v1(`/users/${uma.id}/sessions/${newest}/end`), client.token);
    assert.equal(ended.status, 200, JSON.stringify(ended.body));
    assert.equal(await signedIn(second.agent), false);
    assert.equal(await signedIn(uma.agent), true);
    expectProblem(await send('POST', v1(`/users/${uma.id}/sessions/${newest}/end`), client.token), 404, 'request.not_found');
    expectProblem(await send('POST', v1(`/users/${uma.id}/sessions/not-a-handle/end`), client.token), 404, 'request.not_found');

    const rootSessions = await send('GET', v1(`/users/${acme.root.id}/sessions`), narrow);
    assert.equal(rootSessions.status, 200);
    const rootHandle = rootSessions.body.sessions[0].id as string;
    expectProblem(await send('POST', v1(`/users/${acme.root.id}/sessions/${rootHandle}/end`), client.token), 403, 'user.root_master_protected');
    expectProblem(await send('POST', v1(`/users/${acme.root.id}/sessions/end-all`), client.token), 403, 'user.root_master_protected');
    expectProblem(await send('GET', `/api/v1/companies/${other.companyId}/users/${other.root.id}/sessions`, narrow), 404, 'request.not_found');
    expectProblem(await send('GET', v1(`/users/${other.root.id}/sessions`), narrow), 404, 'request.not_found');
    // A Master's console cannot reach another company's user either.
    assert.equal((await acme.root.agent.get(`/api/company/users/${other.root.id}/sessions`)).status, 404);

    assert.equal((await send('POST', v1(`/users/${uma.id}/sessions/end-all`), client.token)).status, 200);
    assert.equal(await signedIn(uma.agent), false);
    assert.deepEqual((await send('GET', v1(`/users/${uma.id}/sessions`), narrow)).body.sessions, []);
    const [endedOne] = await trail('user.session_ended');
    const [endedAll] = await trail('user.signed_out_everywhere');
    assert.ok(endedOne?.actor_client_id && endedAll?.actor_client_id, 'the trail names the client for both');
    assert.equal(JSON.parse(endedOne?.detail ?? '{}').session, newest);
  });

  test('a Master ends a user session from the console, audited with their name', async () => {
    uma = await logInAgain(server, acme, uma);
    const listed = await mia.agent.get(`/api/company/users/${uma.id}/sessions`);
    const handle = listed.body.sessions[0].id as string;
    assert.equal((await uma.agent.get('/api/me')).status, 200);
    assert.equal((await mia.agent.post(`/api/company/users/${uma.id}/sessions/${handle}/end`)).status, 200);
    assert.equal(await signedIn(uma.agent), false);
    const [event] = await trail('user.session_ended');
    assert.equal(event?.actor_id, mia.id);
    // Users are not administrators.
    uma = await logInAgain(server, acme, uma);
    assert.equal((await uma.agent.get(`/api/company/users/${mia.id}/sessions`)).status, 403);
  });

  test("a company's own client switches its granted modules; another company's stay out of reach", async () => {
    const { module } = await storedTestModule(server);
    await grantModule(dbOf(server), acme.companyId, module.id, server.clock());
    const path = v1(`/modules/${module.id}`);
    expectProblem(await send('POST', path, narrow, { enabled: false }), 403, 'api.insufficient_scope');
    assert.equal((await send('POST', path, client.token, { enabled: false })).status, 200);
    assert.deepEqual((await uma.agent.get('/api/modules')).body.modules, [], 'the launcher no longer offers it');
    const [off] = await trail('module.switched_off');
    assert.ok(off?.actor_client_id);
    assert.equal(off?.target, module.id);
    expectProblem(await send('POST', `/api/v1/companies/${other.companyId}/modules/${module.id}`, client.token, { enabled: true }), 404, 'request.not_found');

    // The console's switch is audited too, with the Master.
    assert.equal((await mia.agent.post(`/api/company/modules/${module.id}`, { enabled: true })).status, 200);
    const [on] = await trail('module.switched_on');
    assert.equal(on?.actor_id, mia.id);
    assert.equal((await uma.agent.get('/api/modules')).body.modules.length, 1);
  });
});

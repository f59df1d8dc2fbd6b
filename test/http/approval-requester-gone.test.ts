// A 2FA reset waiting for a second Master stands only while whoever asked may still ask.
// A Master who asked, or the Master holding the secret of the API client that asked, is
// deactivated, made a User or deleted (in the console or through /api/v1); the client is
// deleted (by a Master or an operator) or its secret rotated to another holder: each time
// the request is withdrawn with the change, in the trail as user.2fa_reset_withdrawn, and a
// second Master's Approve finds it no longer pending, the user's 2FA untouched. A client's
// expiry, which no change marks, is caught when a Master tries to approve. Over HTTP, on
// both engines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, dbOf, invitedMember, logInAgain, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

interface Answer {
  status: number;
  body: any;
}

const DAY_MS = 86_400_000;

for (const engine of await enginesUnderTest()) describe(`a waiting 2FA reset falls with its requester's right to ask (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let acme: SignedInCompany;
  let nina: Person; // the second Master, who would approve
  let admin: { clientId: string; secret: string }; // the Root Master's client with users:write: the /api/v1 way in
  let made = 0;

  before(async () => {
    server = await startTestServer({ engine });
    operator = await operatorAgent(server);
    acme = await companyWithRootMaster(server, operator, 'Acme Requester Gone', 'root@requester-gone.test');
    nina = await invitedMember(server, acme, acme.root.agent, { username: 'nina', role: 'master' });
    assert.equal((await acme.root.agent.post('/api/company/policy', { twoPerson2faReset: true })).status, 200);
    const created = await acme.root.agent.post('/api/company/api-clients', { name: 'Directory sync', scopes: ['users:write'], ...proofOf(server, acme.root) });
    ok(created, 201);
    admin = { clientId: created.body.client.clientId, secret: created.body.clientSecret };
  });
  after(() => server.close());

  const v1 = (path: string) => `/api/v1/companies/${acme.companyId}${path}`;
  const person = (role: 'master' | 'user') => invitedMember(server, acme, acme.root.agent, { username: `${role}${++made}`, role });
  const secretOf = async (userId: string) => (await dbOf(server).selectFrom('users').select('totp_secret').where('id', '=', userId).executeTakeFirstOrThrow()).totp_secret;
  const ok = (answer: Answer, status = 200) => assert.equal(answer.status, status, JSON.stringify(answer.body));
  /** An /api/v1 call by the Root Master's client, with a fresh token (the test clock moves on with each login). */
  const asAdmin = async (path: string, body?: unknown) => sendApi(server, 'POST', v1(path), await tokenFor(server, admin.clientId, admin.secret), body);

  /** An API client made in the console by `master`, who then holds its secret; with a token. */
  async function consoleClient(master: Person, name: string, scopes: string[], expiresInDays?: number) {
    const created = await master.agent.post('/api/company/api-clients', { name, scopes, ...(expiresInDays === undefined ? {} : { expiresInDays }), ...proofOf(server, master) });
    ok(created, 201);
    return { clientId: created.body.client.clientId as string, token: await tokenFor(server, created.body.client.clientId, created.body.clientSecret) };
  }

  /** A reset of `target` asked by a Master in the console, or by an API client: its approval id. */
  async function asked(by: { master: Person } | { token: string }, target: Person): Promise<string> {
    const answer = 'master' in by ? await withFreshProof(server, by.master.agent, () => by.master.agent.post(`/api/company/users/${target.id}/reset-2fa`)) : await sendApi(server, 'POST', v1(`/users/${target.id}/reset-2fa`), by.token);
    ok(answer, 202);
    assert.equal(answer.body.status, 'pending');
    return answer.body.approvalId as string;
  }

  const pendingIds = async (agent: Agent) => ((await agent.get('/api/company/approvals')).body.approvals as { id: string }[]).map((a) => a.id);

  /** What a second Master sees of a withdrawn request, and what the trail says of it. */
  async function assertWithdrawn(approvalId: string, target: Person, because: string) {
    // A sensitive change (step-up): proved again when the tests moved the clock on.
    const approve = await withFreshProof(server, nina.agent, () => nina.agent.post(`/api/company/approvals/${approvalId}/approve`));
    assert.deepEqual([approve.status, approve.body.error?.code], [409, 'approval.not_pending'], JSON.stringify(approve.body));
    assert.ok(!(await pendingIds(nina.agent)).includes(approvalId), 'no longer listed as waiting');
    assert.ok(await secretOf(target.id), "the user's 2FA is untouched");
    const row = await dbOf(server).selectFrom('approvals').select(['status', 'decided_by']).where('id', '=', approvalId).executeTakeFirstOrThrow();
    assert.deepEqual([row.status, row.decided_by], ['rejected', null], 'closed by nobody: withdrawn, kept as history');
    const events = await dbOf(server).selectFrom('audit_events').selectAll().where('company_id', '=', acme.companyId).where('action', '=', 'user.2fa_reset_withdrawn').execute();
    const event = events.find((e) => JSON.parse(e.detail ?? '{}').approvalId === approvalId);
    assert.ok(event, 'user.2fa_reset_withdrawn in the trail');
    assert.equal(event.target, target.id);
    assert.equal(JSON.parse(event.detail ?? '{}').because, because);
  }

  // Each way a Master loses the right to ask, in the console and through /api/v1.
  const losses: [string, string, (master: Person) => Promise<Answer>][] = [
    ['deactivated in the console', 'user.deactivated', (m) => acme.root.agent.post(`/api/company/users/${m.id}/deactivate`)],
    ['deactivated through /api/v1', 'user.deactivated', (m) => asAdmin(`/users/${m.id}/deactivate`)],
    ['made a User in the console', 'user.role_changed', (m) => acme.root.agent.post(`/api/company/users/${m.id}/role`, { role: 'user' })],
    ['made a User through /api/v1', 'user.role_changed', (m) => asAdmin(`/users/${m.id}/role`, { role: 'user' })],
    ['deleted in the console', 'user.deleted', (m) => acme.root.agent.post(`/api/company/users/${m.id}/delete`)],
    ['deleted through /api/v1', 'user.deleted', (m) => asAdmin(`/users/${m.id}/delete`)],
  ];

  for (const [how, because, lose] of losses) {
    test(`the Master who asked is ${how}: the request is withdrawn`, async () => {
      const [mia, uma] = [await person('master'), await person('user')];
      const approvalId = await asked({ master: mia }, uma);
      ok(await lose(mia));
      await assertWithdrawn(approvalId, uma, because);
    });

    test(`the Master holding the secret of the client that asked is ${how}: the request is withdrawn`, async () => {
      const [mia, uma] = [await person('master'), await person('user')];
      const { token } = await consoleClient(mia, `Mia's script ${++made}`, ['mfa:reset']);
      const approvalId = await asked({ token }, uma);
      ok(await lose(mia));
      await assertWithdrawn(approvalId, uma, because);
    });
  }

  test("another Master's change leaves a request standing; a withdrawn one stays withdrawn when its requester comes back", async () => {
    const [mia, max, uma] = [await person('master'), await person('master'), await person('user')];
    const approvalId = await asked({ master: mia }, uma);
    // Only the requester's own loss counts: Max, who asked nothing, goes; Mia's request stands.
    ok(await acme.root.agent.post(`/api/company/users/${max.id}/deactivate`));
    ok(await acme.root.agent.post(`/api/company/users/${max.id}/delete`));
    assert.ok((await pendingIds(nina.agent)).includes(approvalId));

    ok(await acme.root.agent.post(`/api/company/users/${mia.id}/deactivate`));
    ok(await withFreshProof(server, acme.root.agent, () => acme.root.agent.post(`/api/company/users/${mia.id}/reactivate`)));
    await assertWithdrawn(approvalId, uma, 'user.deactivated');
    // Back, Mia asks again, and that request is a new one a second Master decides.
    const again = await asked({ master: await logInAgain(server, acme, mia) }, uma);
    ok(await withFreshProof(server, nina.agent, () => nina.agent.post(`/api/company/approvals/${again}/approve`)));
    assert.equal(await secretOf(uma.id), null);
  });

  test('the client that asked is deleted by a Master, or by an operator: the request is withdrawn', async () => {
    const [mia, uma, una] = [await person('master'), await person('user'), await person('user')];
    const first = await consoleClient(mia, 'Offboarding script', ['mfa:reset']);
    const firstAsked = await asked({ token: first.token }, uma);
    ok(await acme.root.agent.post(`/api/company/api-clients/${first.clientId}/delete`));
    await assertWithdrawn(firstAsked, uma, 'api_client.deleted');
    const [deletion] = await dbOf(server).selectFrom('audit_events').select('detail').where('action', '=', 'api_client.deleted').where('company_id', '=', acme.companyId).orderBy('id', 'desc').execute();
    assert.deepEqual(JSON.parse(deletion?.detail ?? '{}').approvalsWithdrawn, [firstAsked]);

    const second = await consoleClient(mia, 'Offboarding script 2', ['mfa:reset']);
    const secondAsked = await asked({ token: second.token }, una);
    ok(await operator.post(`/api/operator/api-clients/${second.clientId}/delete`));
    await assertWithdrawn(secondAsked, una, 'api_client.deleted');
  });

  test("the client's secret is rotated to another holder: the request is withdrawn, in the trail as such", async () => {
    const [mia, uma] = [await person('master'), await person('user')];
    const client = await consoleClient(mia, 'Rotated script', ['mfa:reset']);
    const approvalId = await asked({ token: client.token }, uma);
    ok(await nina.agent.post(`/api/company/api-clients/${client.clientId}/rotate`, proofOf(server, nina)));
    await assertWithdrawn(approvalId, uma, 'api_client.secret_rotated');
  });

  // Last: it moves the clock by more than a day.
  test('a client expired since it asked: the approval is refused and the request withdrawn', async () => {
    const [mia, uma] = [await person('master'), await person('user')];
    const client = await consoleClient(mia, 'Short-lived script', ['mfa:reset'], 1);
    const approvalId = await asked({ token: client.token }, uma);
    server.clock.advance(DAY_MS + 60_000);
    nina = await logInAgain(server, acme, nina);
    // Listed still (no change marked the expiry), but a second Master cannot carry it out.
    assert.ok((await pendingIds(nina.agent)).includes(approvalId));
    await assertWithdrawn(approvalId, uma, 'approval.requester_gone');
  });
});

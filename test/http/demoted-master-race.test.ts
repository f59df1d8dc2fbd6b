// A Master demoted (or deactivated) while their request is in flight makes nothing a
// Master's: the audience guard let the request in on the role it read then, and a
// demotion ends no session, so the change itself finds, in its own transaction with the
// user's row locked, that they still are one, or writes nothing and answers as the guard
// answers a User (403 auth.forbidden). Raced here by holding the request after the guard:
// a create or rotate at its password check (holdNextPasswordCheck), a 2FA reset's request
// or approval just before its transaction begins. Without the check, the client the
// demoted Master made (or the secret they rotated) worked again once they were made a
// Master again, and the reset they asked stood to be approved once they were restored,
// though a demotion ends holds and withdraws requests for good (docs/SECURITY.md).
// Over HTTP, on both engines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requestToken } from '../helpers/api-clients.ts';
import { companyWithRootMaster, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { holdNextPasswordCheck } from '../helpers/held-password-check.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { holdNextTransaction, racedAtHold, type HeldTransaction } from '../helpers/held-transaction.ts';

interface Answer {
  status: number;
  body: any;
}

for (const engine of await enginesUnderTest()) describe(`a Master demoted while their request is in flight makes nothing a Master's (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let made = 0;

  before(async () => {
    server = await startTestServer({ engine });
    acme = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Demoted Race', 'root@demoted-race.test');
  });
  after(() => server.close());

  const root = () => acme.root.agent;
  const person = (role: 'master' | 'user') => invitedMember(server, acme, root(), { username: `${role}${++made}`, role });
  const ok = (answer: Answer, status = 200) => assert.equal(answer.status, status, JSON.stringify(answer.body));
  const forbidden = (answer: Answer, what: string) => assert.deepEqual([answer.status, answer.body.error?.code], [403, 'auth.forbidden'], `${what}: ${JSON.stringify(answer.body)}`);
  /** A sensitive change by the Root Master (step-up: proved again when the clock moved on). */
  const asRoot = (path: string, body?: unknown) => withFreshProof(server, root(), () => root().post(path, body));
  const setRole = async (who: Person, role: 'master' | 'user') => ok(await asRoot(`/api/company/users/${who.id}/role`, { role }));
  const clientNames = async () => ((await root().get('/api/company/api-clients')).body.clients as { name: string }[]).map((c) => c.name);
  const listed = async (clientId: string) => ((await root().get('/api/company/api-clients')).body.clients as { clientId: string; holderLeft: boolean }[]).find((c) => c.clientId === clientId);
  const pendingFor = async (target: Person) =>
    ((await root().get('/api/company/approvals')).body.approvals as { id: string; target: { id: string } }[]).filter((a) => a.target.id === target.id).map((a) => a.id);
  const statusOf = async (who: Person) => ((await root().get('/api/company/users')).body.users as { id: string; status: string }[]).find((u) => u.id === who.id)?.status;

  /** Holds `request` just before its transaction, runs `demote` meanwhile, then lets it go on. */
  const racingDemotion = (hold: HeldTransaction, request: () => Promise<Answer>, demote: () => Promise<void>) => racedAtHold(hold, request, demote);

  test('an API client created while its Master is demoted: refused, and none exists after they are a Master again', async () => {
    const hal = await person('master');
    const name = `sync ${made}`;
    const answer = await racingDemotion(
      holdNextPasswordCheck(server),
      () => hal.agent.post('/api/company/api-clients', { name, scopes: ['users:read'], ...proofOf(server, hal) }),
      () => setRole(hal, 'user'),
    );
    await setRole(hal, 'master');
    if (answer.status === 201) {
      const token = await requestToken(server, answer.body.client.clientId, answer.body.clientSecret);
      assert.notEqual(token.status, 200, 'the client made by a demoted Master works once they are a Master again');
    }
    forbidden(answer, 'the create');
    assert.ok(!(await clientNames()).includes(name), 'no client was made');
  });

  test("a client's secret rotated while the rotating Master is demoted: refused, the secret unchanged, its holder still the one before", async () => {
    const hal = await person('master');
    const created = await root().post('/api/company/api-clients', { name: `root sync ${made}`, scopes: ['users:read'], ...proofOf(server, acme.root) });
    ok(created, 201);
    const clientId = created.body.client.clientId as string;
    const secret = created.body.clientSecret as string;
    const answer = await racingDemotion(
      holdNextPasswordCheck(server),
      () => hal.agent.post(`/api/company/api-clients/${clientId}/rotate`, proofOf(server, hal)),
      () => setRole(hal, 'user'),
    );
    await setRole(hal, 'master');
    if (answer.status === 200) {
      const token = await requestToken(server, clientId, answer.body.clientSecret);
      assert.notEqual(token.status, 200, 'the secret rotated by a demoted Master works once they are a Master again');
    }
    forbidden(answer, 'the rotation');
    assert.equal((await requestToken(server, clientId, secret)).status, 200, 'the secret before the refused rotation still works');
    assert.equal((await listed(clientId))?.holderLeft, false);
  });

  const restores: Array<[string, (who: Person) => Promise<void>, (who: Person) => Promise<void>]> = [
    ['made a User, then a Master again', (who) => setRole(who, 'user'), (who) => setRole(who, 'master')],
    [
      'deactivated, then reactivated',
      async (who) => ok(await asRoot(`/api/company/users/${who.id}/deactivate`)),
      async (who) => ok(await asRoot(`/api/company/users/${who.id}/reactivate`)),
    ],
  ];
  for (const [what, end, restore] of restores) {
    test(`a 2FA reset asked by a Master ${what} meanwhile: refused, and nothing waits to be approved`, async () => {
      ok(await asRoot('/api/company/policy', { twoPerson2faReset: true }));
      const mia = await person('master');
      const tom = await person('user');
      const answer = await racingDemotion(
        holdNextTransaction(server, 'at resetTwoFactor '),
        () => withFreshProof(server, mia.agent, () => mia.agent.post(`/api/company/users/${tom.id}/reset-2fa`)),
        () => end(mia),
      );
      await restore(mia);
      forbidden(answer, 'the request');
      assert.deepEqual(await pendingFor(tom), [], 'no request waits for a second Master');
      assert.equal(await statusOf(tom), 'active', "the user's 2FA is untouched");
    });
  }

  test('a 2FA reset approved by a Master demoted meanwhile: refused, the user untouched, the request still waiting', async () => {
    ok(await asRoot('/api/company/policy', { twoPerson2faReset: true }));
    const mia = await person('master');
    const nina = await person('master');
    const tom = await person('user');
    const asked = await withFreshProof(server, mia.agent, () => mia.agent.post(`/api/company/users/${tom.id}/reset-2fa`));
    ok(asked, 202);
    const approvalId = asked.body.approvalId as string;
    const answer = await racingDemotion(
      holdNextTransaction(server, 'at decideApproval '),
      () => withFreshProof(server, nina.agent, () => nina.agent.post(`/api/company/approvals/${approvalId}/approve`)),
      () => setRole(nina, 'user'),
    );
    forbidden(answer, 'the approval');
    assert.equal(await statusOf(tom), 'active', "the user's 2FA is untouched");
    assert.deepEqual(await pendingFor(tom), [approvalId], "the request is still the Masters' to decide");
  });
  // Every admin change checks its actor in its own transaction (loadTarget, and an
  // invitation's opening: assertActorStillAdministrator). Once only the 2FA reset and API
  // clients did: two Masters demoting each other at once both ended up Users, and a
  // Master deactivated mid-request invited a Master after it.
  const roleOf = async (who: Person) => ((await root().get('/api/company/users')).body.users as { id: string; role: string }[]).find((u) => u.id === who.id)?.role;

  test('two Masters demoting each other at once: the one demoted first changes nothing', async () => {
    const mia = await person('master');
    const nina = await person('master');
    const answer = await racingDemotion(
      holdNextTransaction(server, 'at changeRole '),
      () => withFreshProof(server, mia.agent, () => mia.agent.post(`/api/company/users/${nina.id}/role`, { role: 'user' })),
      async () => ok(await withFreshProof(server, nina.agent, () => nina.agent.post(`/api/company/users/${mia.id}/role`, { role: 'user' }))),
    );
    forbidden(answer, 'a demotion by a Master demoted meanwhile');
    assert.deepEqual([await roleOf(mia), await roleOf(nina)], ['user', 'master']);
  });

  test('two Masters deactivating each other at once: the one deactivated first changes nothing', async () => {
    const mia = await person('master');
    const nina = await person('master');
    const answer = await racingDemotion(
      holdNextTransaction(server, 'at deactivateUser '),
      () => mia.agent.post(`/api/company/users/${nina.id}/deactivate`),
      async () => ok(await nina.agent.post(`/api/company/users/${mia.id}/deactivate`)),
    );
    forbidden(answer, 'a deactivation by a Master deactivated meanwhile');
    assert.deepEqual([await statusOf(mia), await statusOf(nina)], ['disabled', 'active']);
  });

  test('a Master deactivated while inviting a Master: refused, and no one is invited', async () => {
    const mia = await person('master');
    const answer = await racingDemotion(
      holdNextTransaction(server, 'at inviteUser '),
      () => withFreshProof(server, mia.agent, () => mia.agent.post('/api/company/users', { email: 'plant@demoted-race.test', username: 'plant', role: 'master' })),
      async () => ok(await asRoot(`/api/company/users/${mia.id}/deactivate`)),
    );
    forbidden(answer, 'an invitation by a Master deactivated meanwhile');
    const users = (await root().get('/api/company/users')).body.users as { username: string }[];
    assert.equal(users.some((u) => u.username === 'plant'), false);
  });
});

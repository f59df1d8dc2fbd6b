// The two-person rule for 2FA resets holds against the Masters it binds: none of them
// switches it off (only the Root Master, in person: an API client never), a request left
// waiting is decided before anyone resets that user directly, whatever the rule says by
// then, and a request asked through an API client whose secret is rotated meanwhile is
// either refused or withdrawn, never left to the Master who asked (the race forced on
// PostgreSQL, where the request's write can be held behind another transaction).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, dbOf, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';
import { holdLocks } from '../helpers/pg-lock-holder.ts';

interface Answer {
  status: number;
  body: any;
}

for (const engine of await enginesUnderTest()) describe(`the two-person rule binds the Masters (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let mia: Person; // a Master
  let mallory: Person; // another Master
  let uma: Person; // whose 2FA they would reset
  before(async () => {
    server = await startTestServer({ engine });
    const operator = await operatorAgent(server);
    acme = await companyWithRootMaster(server, operator, 'Acme Two Person', 'root@two-person.test');
    mia = await invitedMember(server, acme, acme.root.agent, { username: 'mia', role: 'master' });
    mallory = await invitedMember(server, acme, acme.root.agent, { username: 'mallory', role: 'master' });
    uma = await invitedMember(server, acme, acme.root.agent, { username: 'uma', role: 'user' });
  });
  after(() => server.close());

  const refused = (answer: Answer, status: number, code: string) => {
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.equal(answer.body.error?.code ?? answer.body.code, code);
  };
  const secretOf = async (userId: string) => (await dbOf(server).selectFrom('users').select('totp_secret').where('id', '=', userId).executeTakeFirstOrThrow()).totp_secret;
  const ruleIsOn = async () => (await acme.root.agent.get('/api/company/policy')).body.policy.twoPerson2faReset as boolean;
  const setRule = (agent: Person['agent'], on: boolean) => agent.post('/api/company/policy', { twoPerson2faReset: on });

  test('a Master cannot switch the rule off, in the console or through a client; the Root Master can; anyone can switch it on', async () => {
    assert.equal((await setRule(mallory.agent, true)).status, 200);
    const changes = async () => (await dbOf(server).selectFrom('audit_events').select('id').where('company_id', '=', acme.companyId).where('action', '=', 'policy.changed').execute()).length;
    const changesBefore = await changes();
    refused(await setRule(mallory.agent, false), 403, 'policy.two_person_root_only');
    // Along with other fields, or spelled as a whole policy form: the same.
    refused(await mallory.agent.post('/api/company/policy', { lockoutThreshold: 6, twoPerson2faReset: false }), 403, 'policy.two_person_root_only');
    const created = await mallory.agent.post('/api/company/api-clients', { name: 'Mallory policy', scopes: ['policy:write', 'mfa:reset'], ...proofOf(server, mallory) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const token = await tokenFor(server, created.body.client.clientId, created.body.clientSecret);
    refused(await sendApi(server, 'POST', `/api/v1/companies/${acme.companyId}/policy`, token, { twoPerson2faReset: false }), 403, 'policy.two_person_root_only');
    assert.equal(await ruleIsOn(), true);
    assert.equal(await changes(), changesBefore, 'nothing of a refused save is stored');
    // The client asks for a reset; it waits, as the rule says.
    assert.equal((await sendApi(server, 'POST', `/api/v1/companies/${acme.companyId}/users/${uma.id}/reset-2fa`, token)).status, 202);
    assert.ok(await secretOf(uma.id));

    assert.equal((await setRule(acme.root.agent, false)).status, 200);
    assert.equal(await ruleIsOn(), false);
  });

  test('a request still waiting is decided before anyone resets that user directly, even after the Root Master switched the rule off', async () => {
    assert.equal((await setRule(acme.root.agent, true)).status, 200);
    const pending = (await dbOf(server).selectFrom('approvals').select('id').where('target_user_id', '=', uma.id).where('status', '=', 'pending').execute()).length;
    if (pending === 0) assert.equal((await mallory.agent.post(`/api/company/users/${uma.id}/reset-2fa`)).status, 202);
    assert.equal((await setRule(acme.root.agent, false)).status, 200);
    refused(await mallory.agent.post(`/api/company/users/${uma.id}/reset-2fa`), 409, 'approval.already_pending');
    refused(await acme.root.agent.post(`/api/company/users/${uma.id}/reset-2fa`), 409, 'approval.already_pending');
    assert.ok(await secretOf(uma.id), "one person never resets Uma's 2FA");
    // Decided (rejected), the way is open again.
    const [waiting] = (await acme.root.agent.get('/api/company/approvals')).body.approvals;
    assert.equal((await acme.root.agent.post(`/api/company/approvals/${waiting.id}/reject`)).status, 200);
    assert.equal((await mia.agent.post(`/api/company/users/${uma.id}/reset-2fa`)).body.status, 'reset');
  });
});

for (const engine of (await enginesUnderTest()).filter((e) => e === 'postgres')) describe(`a client's request racing a rotation of its secret (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let mia: Person;
  let uma: Person;
  before(async () => {
    server = await startTestServer({ engine });
    const operator = await operatorAgent(server);
    acme = await companyWithRootMaster(server, operator, 'Acme Rotation Race', 'root@rotation-race.test');
    mia = await invitedMember(server, acme, acme.root.agent, { username: 'mia', role: 'master' });
    uma = await invitedMember(server, acme, acme.root.agent, { username: 'uma', role: 'user' });
  });
  after(() => server.close());

  test('the Master whose token asked cannot approve, even when another Master rotates the secret while the request is being written', async () => {
    assert.equal((await acme.root.agent.post('/api/company/policy', { twoPerson2faReset: true })).status, 200);
    const created = await mia.agent.post('/api/company/api-clients', { name: 'Mia script', scopes: ['mfa:reset'], ...proofOf(server, mia) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const clientId = created.body.client.clientId as string;
    const miasToken = await tokenFor(server, clientId, created.body.clientSecret);

    // Another transaction holds a waiting request for Uma, uncommitted: the client's
    // request, let in with Mia's token, waits behind it on the one-per-user index.
    const outside = await holdLocks(server.database.url);
    const { lockWaiters } = outside;
    try {
      await outside.query(
        `insert into approvals (id, company_id, action, target_user_id, requested_by, requested_by_client_id, status, decided_by, decided_at, created_at)
         values ($1, $2, 'reset_2fa', $3, $4, null, 'pending', null, null, $5)`,
        [randomUUID(), acme.companyId, uma.id, acme.root.id, server.clock()],
      );
      const asking = sendApi(server, 'POST', `/api/v1/companies/${acme.companyId}/users/${uma.id}/reset-2fa`, miasToken);
      await until(async () => (await lockWaiters()) > 0, 'the request waiting behind the outside transaction');
      // The Root Master rotates the secret meanwhile (the secret, and the bar, move to them).
      const rotated = await acme.root.agent.post(`/api/company/api-clients/${clientId}/rotate`, proofOf(server, acme.root));
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      await outside.release();

      const asked = await asking;
      assert.equal(asked.status, 401, JSON.stringify(asked.body));
      assert.equal(asked.body.code, 'api_client.secret_changed');
      assert.deepEqual((await acme.root.agent.get('/api/company/approvals')).body.approvals, [], 'nothing left waiting for Mia to approve');
      assert.ok(await dbOf(server).selectFrom('users').select('totp_secret').where('id', '=', uma.id).executeTakeFirstOrThrow().then((u) => u.totp_secret));
    } finally {
      await outside.close();
    }
  });
});

// A 2FA reset waiting for a second Master does not wait forever: nobody decided it within
// a week, it is withdrawn (user.2fa_reset_withdrawn, because approval.expired), it is no
// longer listed, approving it is refused and changes nothing, and it may be asked again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, invitedMember, logInAgain, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { APPROVAL_LIFETIME_MS } from '../../src/users/two-factor-reset.ts';

for (const engine of await enginesUnderTest()) describe(`a waiting 2FA reset expires (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;
  let root: Person;
  let mia: Person; // a Master who asks
  let uma: Person; // whose 2FA she would reset
  before(async () => {
    server = await startTestServer({ engine });
    acme = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Expiring', 'root@expiring.test');
    root = acme.root;
    mia = await invitedMember(server, acme, root.agent, { username: 'mia', role: 'master' });
    uma = await invitedMember(server, acme, root.agent, { username: 'uma', role: 'user' });
    assert.equal((await root.agent.post('/api/company/policy', { twoPerson2faReset: true })).status, 200);
  });
  after(() => server.close());

  const umasSecret = async () => (await dbOf(server).selectFrom('users').select('totp_secret').where('id', '=', uma.id).executeTakeFirstOrThrow()).totp_secret;
  const listed = async (who: Person) => (await who.agent.get('/api/company/approvals')).body.approvals.map((a: { id: string }) => a.id) as string[];
  const withdrawnFor = async (approvalId: string) =>
    (await dbOf(server).selectFrom('audit_events').select('detail').where('company_id', '=', acme.companyId).where('action', '=', 'user.2fa_reset_withdrawn').execute()).filter((e) =>
      String(e.detail).includes(approvalId),
    );
  async function ask(): Promise<string> {
    const asked = await mia.agent.post(`/api/company/users/${uma.id}/reset-2fa`);
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    return asked.body.approvalId ?? (await listed(root))[0];
  }

  test('decided in time it is carried out as before; a week old it is withdrawn, unlisted, and approving changes nothing', async () => {
    const first = await ask();
    // A minute before the week is out, it is still there to decide.
    server.clock.advance(APPROVAL_LIFETIME_MS - 60_000);
    root = await logInAgain(server, acme, root); // (30 s later)
    assert.deepEqual(await listed(root), [first]);

    server.clock.advance(30_000); // exactly a week since it was asked
    assert.deepEqual(await listed(root), []);
    const late = await root.agent.post(`/api/company/approvals/${first}/approve`);
    assert.equal(late.status, 409, JSON.stringify(late.body));
    assert.equal(late.body.error.code, 'approval.not_pending');
    assert.ok(await umasSecret(), "Uma's 2FA is untouched");
    const [event] = await withdrawnFor(first);
    assert.ok(event, 'the withdrawal is in the trail');
    assert.match(String(event.detail), /approval\.expired/);
    const row = await dbOf(server).selectFrom('approvals').select(['status', 'decided_by']).where('id', '=', first).executeTakeFirstOrThrow();
    assert.deepEqual({ ...row }, { status: 'rejected', decided_by: null });

    // Asked again, it waits afresh and a second Master carries it out.
    mia = await logInAgain(server, acme, mia);
    const again = await ask();
    assert.notEqual(again, first);
    assert.equal((await root.agent.post(`/api/company/approvals/${again}/approve`)).status, 200);
    assert.equal(await umasSecret(), null);
  });

  test('a request past its week does not block asking again, even before anyone looked at it', async () => {
    // Uma has an app again (the reset above cleared it; how she enrolled is not this test's).
    await dbOf(server).updateTable('users').set({ totp_secret: uma.totpSecret, totp_enrolled_at: server.clock() }).where('id', '=', uma.id).execute();
    const stale = await ask();
    server.clock.advance(APPROVAL_LIFETIME_MS);
    mia = await logInAgain(server, acme, mia);
    const fresh = await mia.agent.post(`/api/company/users/${uma.id}/reset-2fa`);
    assert.equal(fresh.status, 202, JSON.stringify(fresh.body));
    assert.equal((await withdrawnFor(stale)).length, 1);
    const waiting = await dbOf(server).selectFrom('approvals').select('id').where('target_user_id', '=', uma.id).where('status', '=', 'pending').execute();
    assert.equal(waiting.length, 1);
    assert.notEqual(waiting[0]?.id, stale);
  });
});

// A flood of varied company notices does not silence a Master's mailbox unannounced. The
// per-Master cap (companyNoticeCaps, src/mail/send-caps.ts) is keyed by the notice's
// subject, so repeating one notice never hides another; beside it sits a cap of thirty
// notices an hour in all, which whoever holds a Master's session could spend with varied
// changes (thirty invitations of would-be Masters, deleted at once) before making an
// accomplice a Master. So the thirtieth notice of the hour says it is the last, that
// every change is in the audit trail and to check it now: the Masters learn a flood is
// under way, from the flood itself. Past it, the trail alone has the changes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, invitedMember, logInAgain, type SignedInCompany } from '../helpers/company-admin.ts';
import { COMPANY_NOTICES_AN_HOUR } from '../../src/mail/send-caps.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

const MASTER_MADE = 'A user was made a Master of your Gatehouse company';
const MASTER_INVITED = 'A Master was invited to your Gatehouse company';
const ROOT_EMAIL = 'root@flooded.test';

for (const engine of await enginesUnderTest()) describe(`a flood of varied company notices is announced, not silent (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;

  before(async () => {
    server = await startTestServer({ engine });
    const operator = await signedInOperator(server);
    company = await companyWithRootMaster(server, operator.agent, 'Flooded Co', ROOT_EMAIL);
  });
  after(() => server?.close());

  test('thirty invitations of throwaway Masters, then an accomplice made a Master: the thirtieth notice says it is the last of the hour, and why', async () => {
    const root = company.root.agent;
    const mallory = await invitedMember(server, company, root, { username: 'mallory', role: 'user' });
    assert.equal((await withFreshProof(server, root, () => root.post(`/api/company/users/${mallory.id}/role`, { role: 'master' }))).status, 200);
    const attacker = (await logInAgain(server, company, mallory)).agent;
    const accomplice = await invitedMember(server, company, root, { username: 'accomplice', role: 'user' });

    // Mallory's session (stolen or her own) invites thirty Masters by different names and
    // deletes each at once: no one ever signs up, the Root Master's notices are spent.
    for (let i = 0; i < 30; i++) {
      const invited = await withFreshProof(server, attacker, () => attacker.post('/api/company/users', { email: `x${i}@nowhere.test`, username: `temp${i}`, role: 'master' }));
      assert.equal(invited.status, 201, JSON.stringify(invited.body));
      const deleted = await withFreshProof(server, attacker, () => attacker.post(`/api/company/users/${invited.body.user.id}/delete`, {}));
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    }

    const notices = async () => {
      const rows = await dbOf(server).selectFrom('outbox').select(['id', 'subject', 'payload']).where('recipient', '=', ROOT_EMAIL).execute();
      return rows.filter((r) => r.subject === MASTER_MADE || r.subject === MASTER_INVITED);
    };
    const made = await withFreshProof(server, attacker, () => attacker.post(`/api/company/users/${accomplice.id}/role`, { role: 'master' }));
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const sent = await notices();
    assert.equal(sent.length, COMPANY_NOTICES_AN_HOUR, 'thirty company notices in the hour, no more');
    // Delivered by now or not, the mail that said it was the last: one, the thirtieth.
    // Some sixty mails go before it: waited for as long as a loaded machine may take.
    const last = await server.mail.waitFor((m) => m.to.includes(ROOT_EMAIL) && m.text.includes('mails you no more of them one by one'), 60_000);
    assert.match(last.text, /every change is in the audit trail/);
    assert.equal(server.mail.messages.filter((m) => m.to.includes(ROOT_EMAIL) && m.text.includes('one by one')).length, 1);
    const trail = await dbOf(server).selectFrom('audit_events').select('action').where('company_id', '=', company.companyId).where('target', '=', accomplice.id).where('action', '=', 'user.role_changed').execute();
    assert.equal(trail.length, 1, 'the accomplice made a Master is in the trail');

    // The hour over, the next change is mailed again.
    server.clock.advance(2 * 3_600_000);
    const again = await logInAgain(server, company, mallory);
    const another = await invitedMember(server, company, again.agent, { username: 'later', role: 'user' });
    assert.equal((await withFreshProof(server, again.agent, () => again.agent.post(`/api/company/users/${another.id}/role`, { role: 'master' }))).status, 200);
    assert.equal((await notices()).length, COMPANY_NOTICES_AN_HOUR + 1);
  });
});

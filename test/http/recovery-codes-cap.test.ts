// New recovery codes (POST /api/me/recovery-codes) are a change to one's own ways in, as a
// password changed or a key added: each an audit event kept for good, ten rows and a
// mail. They share those changes' cap (requireCredentialChange, 20 an hour per user, in
// the change's own transaction): without it any User could make Gatehouse write an event
// and send a mail at every proof they could give (a code every 30 s with the app, at
// request speed with a key).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SIGNED_IN_WRITE_CAPS } from '../../src/shared/signed-in-writes.ts';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const { limit } = SIGNED_IN_WRITE_CAPS.credentialChanges;

for (const engine of await enginesUnderTest()) describe(`new recovery codes are capped like other changes to one's ways in (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Codes Co', 'root@codes.test');
  });
  after(() => server.close());

  test(`${limit + 5} new sets within half an hour: the ones past ${limit} are refused`, async () => {
    const answers: number[] = [];
    for (let i = 0; i < limit + 5; i++) {
      // proofOf moves the clock 30 s: the whole loop stays within the cap's hour.
      const made = await company.root.agent.post('/api/me/recovery-codes', proofOf(server, company.root));
      answers.push(made.status);
      if (made.status !== 200) assert.equal(made.body.error?.code, 'profile.rate_limited', JSON.stringify(made.body));
    }
    const events = Number(
      (
        await dbOf(server)
          .selectFrom('audit_events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('company_id', '=', company.companyId)
          .where('action', '=', 'recovery_codes.regenerated')
          .executeTakeFirstOrThrow()
      ).n,
    );
    const accepted = answers.filter((s) => s === 200).length;
    assert.equal(accepted, limit, `${accepted} of ${answers.length} new sets accepted (${events} events recorded, a mail each) within ${((limit + 5) * 30) / 60} minutes`);
    assert.equal(events, limit, 'a refused set writes no event');
    // The cap is one with a password change's: spent, it refuses that too.
    const changed = await company.root.agent.post('/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword: 'Another-Strong-Passphrase-91!', confirm: 'Another-Strong-Passphrase-91!' });
    assert.equal(changed.body.error?.code, 'profile.rate_limited', JSON.stringify(changed.body));
  });
});

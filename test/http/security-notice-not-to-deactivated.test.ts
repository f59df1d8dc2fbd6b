// A deactivated user is no longer one of the company's people: their address (a former
// employee's mailbox, often forwarded or reassigned) gets nothing security-sensitive about
// the account (queueSecurityNotice, src/users/security-notices.ts, the one place a user's
// notices find their recipient). A Master's 2FA reset of a deactivated user mailed that
// address a notice naming the Master who acted, and when; the Masters' notice still goes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, invitedMember } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { proveSession } from '../helpers/step-up.ts';

for (const engine of await enginesUnderTest()) describe(`Mail to a deactivated user's address (${engine})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ engine });
  });
  after(() => server.close());

  test("a 2FA reset of a deactivated user tells the company's Masters, not the former user's mailbox", async () => {
    const operator = await signedInOperator(server);
    const company = await companyWithRootMaster(server, operator.agent, 'Departed Co', 'root@departed.test');
    const email = 'leaver@departed.test';
    const leaver = await invitedMember(server, company, company.root.agent, { username: 'leaver', role: 'user', email });
    await proveSession(server, company.root);
    const deactivated = await company.root.agent.post(`/api/company/users/${leaver.id}/deactivate`);
    assert.equal(deactivated.status, 200, JSON.stringify(deactivated.body));
    await proveSession(server, company.root);
    const reset = await company.root.agent.post(`/api/company/users/${leaver.id}/reset-2fa`);
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    // The Masters' notice of the same reset is the marker that the mail has gone out.
    await server.mail.waitFor((m) => m.to.includes('root@departed.test') && m.subject === "A user's two-factor authentication was reset in your Gatehouse company");
    const queued = await server.gatehouse.deps.db.selectFrom('outbox').select(['recipient', 'subject']).where('recipient', '=', email).execute();
    const toLeaver = queued.filter((m) => m.subject !== `You're invited to Departed Co on Gatehouse`);
    assert.deepEqual(toLeaver, [], 'nothing security-sensitive is mailed to a deactivated user');
  });
});

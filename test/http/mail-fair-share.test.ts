// One company's mail backlog does not hold another company's mail. A pass of the mail
// worker takes a fair share of each company's due mail (dueByGroup('company_id'), at most
// 5 each, every company's first before any second: src/mail/worker.ts), as the back-channel
// worker shares its passes among modules; it took the oldest 20 whoever queued them, so a
// company that queued a backlog (a Master's notices at the admin-change rate, times every
// active Master) held every other tenant's password reset or invitation behind it, at the
// speed of the platform's SMTP relay.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

const RESET_SUBJECT = 'Reset your Gatehouse password';
const INVITATIONS = 40;

for (const engine of await enginesUnderTest()) describe(`one company's mail backlog does not hold another's mail (${engine})`, () => {
  let server: TestServer;
  let flooding: SignedInCompany;
  let other: SignedInCompany;

  before(async () => {
    // No timer: the mail goes when a commit pokes the worker, or when the test runs a pass.
    server = await startTestServer({ engine, quietWorkers: true });
    const operator = await operatorAgent(server);
    flooding = await companyWithRootMaster(server, operator, 'Backlog Co', 'root@backlog.test');
    other = await companyWithRootMaster(server, operator, 'Bystander Co', 'root@bystander.test');
  });
  after(() => server.close());

  test("after the flooding company's backlog, the next pass of the mail worker carries the other company's password reset", async () => {
    const worker = server.gatehouse.mailWorker;
    const poke = worker.poke;
    // A relay slower than the requests that fill the queue: the worker is busy elsewhere while they come.
    worker.poke = () => {};
    try {
      // The flooding company's backlog: invitations, within its quota (50 an hour per inviter).
      const root = flooding.root.agent;
      for (let i = 0; i < INVITATIONS; i++) {
        const invited = await withFreshProof(server, root, () => root.post('/api/company/users', { email: `new${i}@backlog.test`, username: `new${i}`, role: 'user' }));
        assert.equal(invited.status, 201, JSON.stringify(invited.body));
      }
      const me = await other.root.agent.get('/api/me');
      const asked = await server.agent().post('/api/login/forgot-password', { username: me.body.user.username, companyName: other.companyName });
      assert.equal(asked.status, 200);

      const before = server.mail.messages.length;
      const sent = await worker.runOnce();
      assert.ok(sent > 0, 'the pass delivered mail');
      const delivered = server.mail.messages.slice(before);
      const fromFlood = delivered.filter((m) => m.to.includes('@backlog.test')).length;
      assert.ok(
        delivered.some((m) => m.subject === RESET_SUBJECT && m.to.includes('root@bystander.test')),
        `the pass sent ${delivered.length} mails, ${fromFlood} of them the flooding company's invitations, and not the other company's password reset`,
      );
    } finally {
      worker.poke = poke;
      await worker.runOnce();
    }
  });
});

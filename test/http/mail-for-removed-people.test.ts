// Mail queued for a person who is then removed does not go out. Every mail is written to
// the outbox in the change's own transaction and delivered by a worker, retried with a
// backoff for about a day while the mail server defers it. A mail for one of a company's
// people names them (outbox.user_id, migration 0037), and the worker sends it only while
// they still are one of the company's people (stillAddressed, src/mail/worker.ts): not
// deleted (an invitation to a wrong address, deleted at once), not deactivated (a former
// employee's mailbox "is told nothing", docs/SECURITY.md, the 2FA reset notice that names
// the Master who acted included), the company not suspended. Here a mail server defers
// the person's address (451) until after the removal, then accepts it.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, invitedMember, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startSmtpCapture } from '../helpers/smtp.ts';
import { proveSession, withFreshProof } from '../helpers/step-up.ts';

/** A capture that defers (451 to RCPT TO) the addresses in `deferred` while they are there. */
async function deferringCapture() {
  const deferred = new Set<string>();
  return { capture: await startSmtpCapture({ deferred }), deferred };
}

for (const engine of await enginesUnderTest()) describe(`mail queued for a person removed before it went out (${engine})`, () => {
  // One server per test: each moves the clock past the mail backoff, and past the sessions' idle time.
  const opened: Array<() => Promise<void>> = [];
  after(async () => {
    for (const close of opened) await close();
  });

  async function setUp(companyName: string, rootEmail: string) {
    const gate = await deferringCapture();
    const base = await startTestServer({ engine, env: { GATEHOUSE_SMTP_URL: gate.capture.url } });
    opened.push(async () => {
      await base.close();
      await gate.capture.close();
    });
    // The helpers read the mail the server sends from `server.mail`: this capture.
    const server: TestServer = { ...base, mail: gate.capture };
    const operator = await operatorAgent(server);
    const acme: SignedInCompany = await companyWithRootMaster(server, operator, companyName, rootEmail);
    const outboxTo = (address: string) => dbOf(server).selectFrom('outbox').select(['id', 'subject', 'status', 'attempts', 'next_attempt_at', 'last_error', 'locked_until']).where('recipient', '=', address).execute();

    /** The worker has tried (and the server deferred) every mail still waiting for `address` at least once. */
    async function deferredOnce(address: string) {
      for (let i = 0; i < 200; i++) {
        const rows = await outboxTo(address);
        const waiting = rows.filter((r) => r.status === 'pending');
        // Tried and deferred (its error recorded), not merely claimed: an attempt still under
        // way when the person is removed may go out, as any mail handed to the server may.
        if (waiting.length > 0 && waiting.every((r) => r.attempts >= 1 && r.last_error !== null)) return waiting;
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.fail(`the mail to ${address} was not tried: ${JSON.stringify(await outboxTo(address))}`);
    }

    /** The mail server takes mail again; the clock passes every backoff; the worker runs. */
    async function serverRecovers(address: string) {
      // No attempt still under way (one begun before the removal, the clock having moved
      // past its backoff): it meets the deferral, not the recovered server.
      for (let i = 0; i < 400 && (await outboxTo(address)).some((r) => r.locked_until !== null); i++) await new Promise((r) => setTimeout(r, 25));
      gate.deferred.delete(address);
      server.clock.advance(31 * 60_000);
      for (let i = 0; i < 3; i++) await server.gatehouse.mailWorker.runOnce();
      const rows = await outboxTo(address);
      assert.ok(rows.every((r) => r.status !== 'pending' || Number(r.next_attempt_at) > server.clock()), JSON.stringify(rows));
    }
    return { server, gate, acme, operator, deferredOnce, serverRecovers, outboxTo };
  }

  test('an invitation to a wrong address, deleted at once, is not delivered once the mail server takes mail again', async () => {
    const { server, gate, acme, deferredOnce, serverRecovers } = await setUp('Outbox Erasure Co', 'root@outbox-erasure.test');
    const stranger = 'stranger@not-our-company.test';
    gate.deferred.add(stranger);
    const invited = await withFreshProof(server, acme.root.agent, () => acme.root.agent.post('/api/company/users', { email: stranger, username: 'typo', role: 'master' }));
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    await deferredOnce(stranger);

    await proveSession(server, acme.root);
    const deleted = await acme.root.agent.post(`/api/company/users/${invited.body.user.id}/delete`);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));

    await serverRecovers(stranger);
    const reached = gate.capture.messages.filter((m) => m.to.includes(stranger)).map((m) => m.subject);
    assert.deepEqual(reached, [], 'nothing reaches the address of a user deleted before the mail went out');
  });

  test("a deactivated user's address does not get the 2FA reset notice queued just before the deactivation", async () => {
    const { server, gate, acme, deferredOnce, serverRecovers } = await setUp('Leaver Co', 'root@leaver.test');
    const email = 'leaver@leaver.test';
    const leaver = await invitedMember(server, acme, acme.root.agent, { username: 'leaver', role: 'user', email });
    gate.deferred.add(email);
    await proveSession(server, acme.root);
    const reset = await acme.root.agent.post(`/api/company/users/${leaver.id}/reset-2fa`);
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    await deferredOnce(email);

    const deactivated = await acme.root.agent.post(`/api/company/users/${leaver.id}/deactivate`);
    assert.equal(deactivated.status, 200, JSON.stringify(deactivated.body));

    const before = gate.capture.messages.length;
    await serverRecovers(email);
    const reached = gate.capture.messages.slice(before).filter((m) => m.to.includes(email)).map((m) => m.subject);
    assert.deepEqual(reached, [], "a deactivated user's address is told nothing (docs/SECURITY.md), queued before or not");
  });

  test('an invitation waiting when its company is suspended is not sent; its row is withdrawn, address and body with it', async () => {
    const { server, gate, acme, operator, deferredOnce, serverRecovers, outboxTo } = await setUp('Suspended Mail Co', 'root@suspended-mail.test');
    const email = 'newcomer@suspended-mail.test';
    gate.deferred.add(email);
    const invited = await withFreshProof(server, acme.root.agent, () => acme.root.agent.post('/api/company/users', { email, username: 'newcomer', role: 'user' }));
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    await deferredOnce(email);

    const suspended = await operator.post(`/api/operator/companies/${acme.companyId}/suspend`);
    assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
    await serverRecovers(email);
    assert.deepEqual(gate.capture.messages.filter((m) => m.to.includes(email)).map((m) => m.subject), [], 'nothing reaches a suspended company’s invitee');
    assert.deepEqual(await outboxTo(email), [], 'withdrawn: the row goes, its address and body (with its link) with it');
  });
});

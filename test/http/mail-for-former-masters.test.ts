// Mail queued for a person because of their role goes only while they still hold it. A
// company notice (queueCompanyNotice, src/users/security-notices.ts) tells every Master of
// a security change: the policy changed, a 2FA reset, a new Master. It waits in the outbox
// (a day of retries while a mail server defers it), and a Master demoted to User
// meanwhile must not read it after all: the row names the role it was addressed for
// (outbox.for_role, migration 0038) and the worker withdraws it when the person no longer
// holds that role (stillAddressed, src/mail/worker.ts). The other Masters still get it;
// mail for the person as themselves (their own 2FA reset notice) still goes to a demoted
// one; and a Master demoted and made a Master again before it went gets it: at send time
// they are a Master, who reads the same change in the company's audit trail anyway.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startSmtpCapture } from '../helpers/smtp.ts';
import { withFreshProof } from '../helpers/step-up.ts';

const POLICY_NOTICE = 'The security policy of your Gatehouse company was changed';
const RESET_NOTICE = "A user's two-factor authentication was reset in your Gatehouse company";
const OWN_RESET_NOTICE = 'Your Gatehouse two-factor authentication was reset';
const MASTER_MADE_NOTICE = 'A user was made a Master of your Gatehouse company';

for (const engine of await enginesUnderTest()) describe(`mail queued for a Master demoted before it went out (${engine})`, () => {
  // One server per test: each moves the clock past the mail backoff.
  const opened: Array<() => Promise<void>> = [];
  after(async () => {
    for (const close of opened) await close();
  });

  async function setUp(companyName: string, domain: string) {
    const deferred = new Set<string>();
    const capture = await startSmtpCapture({ deferred });
    const base = await startTestServer({ engine, env: { GATEHOUSE_SMTP_URL: capture.url } });
    opened.push(async () => {
      await base.close();
      await capture.close();
    });
    // The helpers read the mail the server sends from `server.mail`: this capture.
    const server: TestServer = { ...base, mail: capture };
    const acme: SignedInCompany = await companyWithRootMaster(server, await operatorAgent(server), companyName, `root@${domain}`);
    const demoted = { ...(await invitedMember(server, acme, acme.root.agent, { username: 'demoted', role: 'master', email: `demoted@${domain}` })), email: `demoted@${domain}` };
    const kept = { ...(await invitedMember(server, acme, acme.root.agent, { username: 'kept', role: 'master', email: `kept@${domain}` })), email: `kept@${domain}` };
    const outboxTo = (address: string) =>
      dbOf(server).selectFrom('outbox').select(['id', 'subject', 'status', 'attempts', 'next_attempt_at', 'last_error', 'locked_until']).where('recipient', '=', address).execute();
    const root = acme.root.agent;
    const asRoot = (path: string, body: object) => withFreshProof(server, root, () => root.post(path, body));

    /**
     * Once the set-up's own mail (invitations, the notice of each Master invited) has gone,
     * mail to these addresses is deferred (451) until the server recovers.
     */
    async function defer(...addresses: string[]) {
      const pending = () => dbOf(server).selectFrom('outbox').select(['subject', 'recipient']).where('status', '=', 'pending').execute();
      for (let i = 0; i < 400 && (await pending()).length > 0; i++) {
        await server.gatehouse.mailWorker.runOnce();
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.deepEqual(await pending(), [], 'the set-up mail went');
      for (const address of addresses) deferred.add(address);
    }

    /** The worker has tried (and the server deferred) every mail still waiting for `address`, `count` of them, at least once. */
    async function deferredOnce(address: string, count: number) {
      for (let i = 0; i < 400; i++) {
        const waiting = (await outboxTo(address)).filter((r) => r.status === 'pending');
        // Tried and deferred (its error recorded), not merely claimed: an attempt still under
        // way when the role changes may go out, as any mail handed to the server may.
        if (waiting.length === count && waiting.every((r) => r.attempts >= 1 && r.last_error !== null)) return waiting;
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.fail(`the ${count} mails to ${address} were not tried: ${JSON.stringify(await outboxTo(address))}`);
    }

    /** The mail server takes mail for every address again; the clock passes every backoff; the worker runs. */
    async function serverRecovers(...addresses: string[]) {
      // No attempt still under way (one begun before the change): it meets the deferral, not the recovered server.
      for (const address of addresses) for (let i = 0; i < 400 && (await outboxTo(address)).some((r) => r.locked_until !== null); i++) await new Promise((r) => setTimeout(r, 25));
      deferred.clear();
      server.clock.advance(31 * 60_000);
      for (let i = 0; i < 3; i++) await server.gatehouse.mailWorker.runOnce();
      for (const address of addresses) {
        const rows = await outboxTo(address);
        assert.ok(rows.every((r) => r.status !== 'pending' || Number(r.next_attempt_at) > server.clock()), JSON.stringify(rows));
      }
    }

    /** The subjects that reached `address` after the first `since` messages captured. */
    const reached = (address: string, since: number) => capture.messages.slice(since).filter((m) => m.to.includes(address)).map((m) => m.subject).sort();

    async function setRole(person: Person, role: 'master' | 'user') {
      const changed = await asRoot(`/api/company/users/${person.id}/role`, { role });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
    }

    return { server, capture, acme, demoted, kept, asRoot, defer, deferredOnce, serverRecovers, reached, outboxTo, setRole };
  }

  test('a Master demoted while a notice of a policy change waits does not get it; the other Masters do', async () => {
    const { capture, demoted, kept, asRoot, defer, deferredOnce, serverRecovers, reached, outboxTo, setRole } = await setUp('Demotion Co', 'demotion.test');
    await defer(demoted.email, kept.email);
    const since = capture.messages.length;
    const changed = await asRoot('/api/company/policy', { twoPerson2faReset: true });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    await deferredOnce(demoted.email, 1);
    await deferredOnce(kept.email, 1);

    await setRole(demoted, 'user');
    await serverRecovers(demoted.email, kept.email);

    assert.deepEqual(reached(kept.email, since), [POLICY_NOTICE], 'a Master still a Master is told');
    assert.deepEqual(reached(demoted.email, since), [], 'a Master made a User reads no notice to the Masters queued before');
    const left = (await outboxTo(demoted.email)).filter((row) => row.subject === POLICY_NOTICE);
    assert.deepEqual(left, [], 'withdrawn: the row goes, its address and body with it');
  });

  test("a demoted Master still gets the notice of their own 2FA reset, not the Masters' notice of it", async () => {
    const { capture, demoted, kept, asRoot, defer, deferredOnce, serverRecovers, reached, setRole } = await setUp('Own Notice Co', 'own-notice.test');
    await defer(demoted.email, kept.email);
    const since = capture.messages.length;
    const reset = await asRoot(`/api/company/users/${demoted.id}/reset-2fa`, {});
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    // Theirs as the person reset, and theirs as one of the Masters.
    await deferredOnce(demoted.email, 2);
    await deferredOnce(kept.email, 1);

    await setRole(demoted, 'user');
    await serverRecovers(demoted.email, kept.email);

    assert.deepEqual(reached(kept.email, since), [RESET_NOTICE]);
    assert.deepEqual(reached(demoted.email, since), [OWN_RESET_NOTICE], 'mail for the person as themselves keeps going while they are one of the company');
  });

  test('a Master demoted and made a Master again before the notice went gets it: they hold the role it was addressed for', async () => {
    const { capture, demoted, asRoot, defer, deferredOnce, serverRecovers, reached, setRole } = await setUp('Round Trip Co', 'round-trip.test');
    await defer(demoted.email);
    const since = capture.messages.length;
    const changed = await asRoot('/api/company/policy', { twoPerson2faReset: true });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    await deferredOnce(demoted.email, 1);

    await setRole(demoted, 'user');
    await setRole(demoted, 'master');
    await serverRecovers(demoted.email);

    assert.deepEqual(reached(demoted.email, since), [MASTER_MADE_NOTICE, POLICY_NOTICE].sort());
  });
});

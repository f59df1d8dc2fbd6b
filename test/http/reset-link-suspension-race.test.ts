// "Forgot password" racing its company's suspension. Suspending revokes every unused
// emailed link for good (src/companies/suspension.ts): a reset link in a mailbox an
// intruder reads must not come back with the company. The request reads the company by
// name, then locks the user's row (lockUser) and issues the link. On PostgreSQL, under
// READ COMMITTED, the company it had read was what the request went by: a suspension that
// held the user's row (it locks the company's row, then each user's, ends their access,
// then revokes the links) made the request wait, and once it committed the request
// issued its link, after the revoke, for a company it still took for active; the link
// worked again once the company was reactivated. Now the company's status is read in a
// statement of its own after the user's row is locked (requestPasswordReset): a
// suspension either committed before (nothing is issued) or waits for the request and
// then revokes its link. The answer is the same neutral one either way.
//
// The same check for the other link a user's own request issues, an email change's
// confirm link: its transaction locks the user's row and looks at the session after
// (stillProved), so a suspension that held the row has ended the session by then
// (session.required), and one that comes after waits for the link and revokes it.
//
// Forced without sleeping. On both engines the reset request is held after its rate slot,
// before its transaction begins (holdNextTransaction), while the suspension commits. On
// PostgreSQL only (SQLite runs one writing transaction at a time, so the transactions
// cannot interleave there) also inside: another connection locks a live Sign Up link of
// the company, so the suspension stops at revokeLiveLinks holding the company's row and
// every user's; the reset request then reads the company, still active to it, and queues
// on its user's row, and the test lets go once it waits there. The email change is held
// the same way after its password check, its transaction let go once the suspension
// holds the rows. And the other turn: the reset request holds the user's row (stopped
// where it issues its link, the links' table held by another connection) while the
// suspension queues behind it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FORGOT_PASSWORD_ANSWER } from '../../src/http/routes/recovery.ts';
import type { Agent, Answer } from '../helpers/agent.ts';
import { apiClient, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, dbOf, inviteMail, liveLinks, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { holdNextTransaction } from '../helpers/held-transaction.ts';
import { STRONG_PASSWORD, tokenIn } from '../helpers/journey.ts';
import { holdLocks, inFlight, lockWatcher } from '../helpers/pg-lock-holder.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';




for (const engine of await enginesUnderTest()) describe(`a reset link racing its company's suspension (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let platform: string;
  let count = 0;
  const logged: string[] = [];
  before(async () => {
    server = await startTestServer({ engine, logStream: { write: (line: string) => void logged.push(line) } });
    operator = await operatorAgent(server);
    const operations = await apiClient(server, { name: 'Operations', scopes: ['companies:write'], companyId: null });
    platform = await tokenFor(server, operations.client.clientId, operations.clientSecret);
  });
  after(() => server.close());

  const suspend = (companyId: string) => sendApi(server, 'POST', `/api/v1/companies/${companyId}/suspend`, platform);
  async function reactivate(companyId: string) {
    assert.equal((await sendApi(server, 'POST', `/api/v1/companies/${companyId}/reactivate`, platform)).status, 200);
  }
  async function freshCompany(): Promise<SignedInCompany & { email: string }> {
    count += 1;
    const email = `root${count}@reset-raced.test`;
    return { ...(await companyWithRootMaster(server, operator, `Reset Raced Co ${count}`, email)), email };
  }
  const forgot = (company: SignedInCompany) =>
    server.agent().post('/api/login/forgot-password', { username: company.root.username, companyName: company.companyName });

  /** The neutral answer forgot password always gives, and nothing logged as an error. */
  function neutral(answer: Answer) {
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, FORGOT_PASSWORD_ANSWER);
    assert.deepEqual(answer.setCookies, []);
    const errors = logged.filter((line) => /"level":(50|60)/.test(line));
    logged.length = 0;
    assert.deepEqual(errors, [], 'errors logged');
  }

  /**
   * What a reset request raced in during the suspension left, the company reactivated: the
   * answer of the reset page to every reset link mailed to the Root Master, and the reset
   * links still live.
   */
  async function resetLinksLeft(company: SignedInCompany & { email: string }) {
    const db = dbOf(server);
    const queued = await db.selectFrom('outbox').select('id').where('company_id', '=', company.companyId).where('recipient', '=', company.email).where('subject', '=', 'Reset your Gatehouse password').execute();
    const mails = () => server.mail.messages.filter((m) => m.to.includes(company.email) && /\/reset-password\//.test(m.text));
    await server.mail.waitFor(() => mails().length >= queued.length);
    const pages = [];
    for (const mail of mails()) pages.push((await server.agent().get(`/api/password-reset/${tokenIn(mail.text, 'reset-password')}`)).status);
    const live = await liveLinks(server, company.companyId, ['reset_password']);
    return { refused: pages.every((status) => status === 410), pages, liveLinks: live.length };
  }

  test('forgot password held before its transaction while the suspension commits: the same answer, no link works after reactivation', async () => {
    const company = await freshCompany();
    logged.length = 0;
    const held = holdNextTransaction(server, '/src/users/password-reset.ts');
    try {
      const asked = forgot(company);
      await held.atHold;
      assert.equal((await suspend(company.companyId)).status, 200, 'the suspension commits meanwhile');
      held.release();
      neutral(await asked);
    } finally {
      held.release();
      held.restore();
    }
    await reactivate(company.companyId);
    assert.deepEqual(await resetLinksLeft(company), { refused: true, pages: [], liveLinks: 0 });
  });

  if (engine !== 'postgres') return;

  /**
   * The company's suspension, stopped holding the company's row and every user's: Pia is
   * invited and has not signed up, and her live Sign Up link, which the suspension revokes
   * last, is locked by the test's connection.
   */
  async function suspensionHeldAtTheLinks(company: SignedInCompany & { email: string }) {
    const pia = `pia${count}@reset-raced.test`;
    const invited = await company.root.agent.post('/api/company/users', { email: pia, username: 'pia', role: 'user' });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    await inviteMail(server, company.companyName, pia);
    const holder = await holdLocks(server.database.url);
    const watcher = await lockWatcher(server.database.url);
    const locked = await holder.query(
      "SELECT 1 FROM action_links WHERE user_id = $1 AND purpose = 'signup' AND consumed_at IS NULL AND revoked_at IS NULL FOR UPDATE",
      [invited.body.user.id],
    );
    assert.equal(locked.rowCount, 1);
    const suspension = inFlight(suspend(company.companyId));
    await until(() => watcher.waitingAt(/^update "action_links"/), "the suspension, every user's access ended, waiting to revoke the links");
    return { holder, watcher, suspension };
  }

  test('forgot password that read the company as active, then waited for the suspension on its user: the same answer, no link works after reactivation (PostgreSQL)', async () => {
    const company = await freshCompany();
    const { holder, watcher, suspension } = await suspensionHeldAtTheLinks(company);
    logged.length = 0;
    const asked = inFlight(forgot(company));
    try {
      await until(async () => asked.answered || (await watcher.waitingAt(/^update "users" set "status" = status/)), "the reset request answering, or waiting for its user's row (lockUser)");
      await holder.release();
      assert.equal((await suspension.answer).status, 200, 'the suspension committed');
    } finally {
      await holder.close();
      await watcher.close();
    }
    neutral(await asked.answer);
    await reactivate(company.companyId);
    assert.deepEqual(await resetLinksLeft(company), { refused: true, pages: [], liveLinks: 0 }, 'a reset link issued after the suspension revoked the links works after reactivation');
  });

  test('forgot password holding its user when the suspension begins: the suspension waits, then revokes the link it issued (PostgreSQL)', async () => {
    const company = await freshCompany();
    logged.length = 0;
    const holder = await holdLocks(server.database.url);
    const watcher = await lockWatcher(server.database.url);
    try {
      await holder.query('LOCK TABLE action_links IN EXCLUSIVE MODE');
      const asked = inFlight(forgot(company));
      await until(() => watcher.waitingAt(/action_links/), 'the reset request, its user locked, waiting to issue its link');
      const suspension = inFlight(suspend(company.companyId));
      await until(async () => suspension.answered || (await watcher.waitingAt(/^update "users"/)), 'the suspension answering, or waiting for the user');
      await holder.release();
      neutral(await asked.answer);
      assert.equal((await suspension.answer).status, 200);
    } finally {
      await holder.close();
      await watcher.close();
    }
    await reactivate(company.companyId);
    const left = await resetLinksLeft(company);
    assert.deepEqual([left.refused, left.pages.length, left.liveLinks], [true, 1, 0], JSON.stringify(left));
  });

  test('an email change whose transaction begins while the suspension holds its user: refused, no confirm link works after reactivation (PostgreSQL)', async () => {
    // Its password is checked (and its attempt slot, a write of the user's row, given back)
    // before the suspension begins; its transaction is held until the suspension holds the row.
    const company = await freshCompany();
    const held = holdNextTransaction(server, '/src/users/email-change.ts');
    const asked = inFlight(company.root.agent.post('/api/me/email', { email: `elsewhere${count}@reset-raced.test`, password: STRONG_PASSWORD }));
    let scene: Awaited<ReturnType<typeof suspensionHeldAtTheLinks>> | undefined;
    try {
      await held.atHold;
      held.restore();
      const stopped = (scene = await suspensionHeldAtTheLinks(company));
      held.release();
      await until(async () => asked.answered || (await stopped.watcher.waitingAt(/^update "users" set "password_hash" = "password_hash"/)), 'the email change answering, or waiting for its user behind the suspension (stillProved)');
      await stopped.holder.release();
      assert.equal((await stopped.suspension.answer).status, 200, 'the suspension committed');
    } finally {
      held.release();
      held.restore();
      await scene?.holder.close();
      await scene?.watcher.close();
    }
    const answer = await asked.answer;
    await reactivate(company.companyId);
    assert.deepEqual([answer.status, answer.body.error?.code], [401, 'session.required'], JSON.stringify(answer.body));
    const live = await liveLinks(server, company.companyId, ['confirm_email', 'cancel_email']);
    assert.equal(live.length, 0, 'a confirm link issued after the suspension works after reactivation');
    const row = await dbOf(server).selectFrom('users').select('email').where('id', '=', company.root.id).executeTakeFirstOrThrow();
    assert.equal(row.email, company.email);
  });
});

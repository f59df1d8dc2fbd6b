// A change proved by the password from a stolen session (an email change, a password
// change) against the victim's recovery: "sign out everywhere", or ending that one
// session from My Sessions. In any serial order the thief ends with no session and no
// pending email change (the confirm link needs no session, and a password reset would
// follow to the thief's address). On PostgreSQL (READ COMMITTED) both used to survive a
// recovery that committed while the change was on its way: the change locked the user's
// row and saw the session (stillProved), the recovery, taking no lock on the user's row,
// ended the sessions and revoked the pending links at once, and the change then wrote its
// link, or a copy of its session, after that revoke. Now every revocation takes the user's
// row first (endUserAccess, endSessionsByHandle) and a proved change looks at its session
// only once it holds that row (stillProved, keepOnlyThisBrowser): one waits for the other.
//
// The serial orders run on both engines. The interleavings run on PostgreSQL only (SQLite
// runs one writer at a time, so they cannot happen there), held open without sleeping: a
// connection of the test's own holds a lock the request under test needs at a known
// statement, the test waits until that request is queued behind it (pg_stat_activity),
// starts the other request, waits until it has answered or is itself waiting, then lets go.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { logInAgain, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { STRONG_PASSWORD, tokenIn } from '../helpers/journey.ts';
import { holdLocks, inFlight, lockWatcher } from '../helpers/pg-lock-holder.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { operatorWithTenants, type Tenants } from '../helpers/tenants.ts';
import { until } from '../helpers/until.ts';
import { holdNextTransaction } from '../helpers/held-transaction.ts';

const NEW_PASSWORD = 'Copper-Lantern-77!';



interface Scene {
  company: SignedInCompany;
  victim: Person & { email: string };
  thief: Agent;
}

for (const engine of await enginesUnderTest()) describe(`a change proved from a stolen session against "sign out everywhere" (${engine})`, () => {
  let server: TestServer;
  let tenants: Tenants;
  before(async () => {
    server = await startTestServer({ engine });
    ({ tenants } = await operatorWithTenants(server, { namePrefix: 'Proved Race Co', emailDomain: 'proved-race.test' }));
  });
  after(() => server.close());

  const thiefAddress = (scene: Scene) => `thief-${scene.victim.username}@evil.test`;
  const askEmailChange = (scene: Scene) => scene.thief.post('/api/me/email', { email: thiefAddress(scene), password: STRONG_PASSWORD });
  const changePassword = (scene: Scene) => scene.thief.post('/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD, confirm: NEW_PASSWORD });
  const signOutEverywhere = (scene: Scene) => scene.victim.agent.post('/api/me/sessions/revoke-all');

  /** The handle of the thief's session, as the victim's My Sessions shows it. */
  async function thiefsHandle(scene: Scene) {
    const sessions = (await scene.victim.agent.get('/api/me/sessions')).body.sessions as Array<{ id: string; current: boolean }>;
    const other = sessions.filter((session) => !session.current);
    assert.equal(other.length, 1, JSON.stringify(sessions));
    return other[0]!.id;
  }
  const endThiefsSession = (scene: Scene, handle: string) => scene.victim.agent.post(`/api/me/sessions/${handle}/revoke`);

  async function confirmLinkOfThief(scene: Scene) {
    const mail = await server.mail.waitFor((m) => m.to.includes(thiefAddress(scene)));
    return tokenIn(mail.text, 'confirm-email');
  }
  async function emailOf(scene: Scene) {
    const row = await server.gatehouse.deps.db.selectFrom('users').select('email').where('company_id', '=', scene.company.companyId).where('id', '=', scene.victim.id).executeTakeFirstOrThrow();
    return row.email;
  }

  /** What the thief is left with after the victim's recovery: no pending change of address, no session. */
  async function assertThiefHasNothing(scene: Scene, confirmToken: string) {
    const confirmed = await server.agent().post('/api/me/email/confirm', { token: confirmToken });
    assert.deepEqual([confirmed.status, confirmed.body.error?.code], [410, 'link.invalid'], `the confirm link still works: ${JSON.stringify(confirmed.body)}`);
    assert.equal(await emailOf(scene), scene.victim.email, 'the mail stays with the victim');
    assert.equal((await scene.thief.get('/api/me')).status, 401, "the thief's browser is signed out");
  }

  const ok = (answer: { status: number; body: unknown }, what: string) => assert.equal(answer.status, 200, `${what}: ${JSON.stringify(answer.body)}`);

  test('an email change asked from the stolen session, then sign out everywhere: the link is dead, the thief is out', async () => {
    const scene = await tenants.stolenSession();
    ok(await askEmailChange(scene), 'the email change');
    ok(await signOutEverywhere(scene), 'sign out everywhere');
    await assertThiefHasNothing(scene, await confirmLinkOfThief(scene));
    assert.equal((await scene.victim.agent.get('/api/me')).status, 401);
  });

  test("an email change asked from the stolen session, then the victim ends that session: the link is dead, the thief is out", async () => {
    const scene = await tenants.stolenSession();
    ok(await askEmailChange(scene), 'the email change');
    ok(await endThiefsSession(scene, await thiefsHandle(scene)), 'ending the session');
    await assertThiefHasNothing(scene, await confirmLinkOfThief(scene));
    assert.equal((await scene.victim.agent.get('/api/me')).status, 200, "the victim's own browser stays signed in");
  });

  test('sign out everywhere, then a password change from the stolen session: refused, the thief is out', async () => {
    const scene = await tenants.stolenSession();
    ok(await signOutEverywhere(scene), 'sign out everywhere');
    const changed = await changePassword(scene);
    assert.deepEqual([changed.status, changed.body.error?.code], [401, 'session.required'], JSON.stringify(changed.body));
    assert.equal((await scene.thief.get('/api/me')).status, 401);
    // The password is still the victim's: they log in with it.
    await logInAgain(server, scene.company, scene.victim);
  });

  if (engine !== 'postgres') return;

  // The email change is held after it checked its session and wrote its confirm link, at
  // the mail it queues (the outbox, locked by the test's connection); the victim's
  // recovery ("sign out everywhere", or ending that one session from My Sessions) runs
  // meanwhile. It must not commit without seeing the link: it waits for the change (the
  // user's row), then revokes the link.
  const recoveries = [
    { what: 'signs out everywhere', recover: (scene: Scene) => signOutEverywhere(scene), staysSignedIn: false },
    { what: 'ends that session from My Sessions', recover: async (scene: Scene) => endThiefsSession(scene, await thiefsHandle(scene)), staysSignedIn: true },
  ];
  for (const { what, recover, staysSignedIn } of recoveries) {
    test(`an email change in flight while the victim ${what}: the link is dead, the thief is out (PostgreSQL)`, async () => {
      const scene = await tenants.stolenSession();
      const holder = await holdLocks(server.database.url);
      const watcher = await lockWatcher(server.database.url);
      try {
        await holder.query('LOCK TABLE outbox IN SHARE MODE');
        const asked = inFlight(askEmailChange(scene));
        await until(() => watcher.waitingAt(/^insert into "outbox"/), 'the email change, its link written, waiting to queue its mail');
        const recovered = inFlight(recover(scene));
        await until(async () => recovered.answered || (await watcher.waitingAt(/^update "users"/)), 'the recovery answering, or waiting for the email change');
        await holder.release();
        ok(await asked.answer, 'the email change (it went first)');
        ok(await recovered.answer, `the victim ${what}`);
      } finally {
        await holder.close();
        await watcher.close();
      }
      await assertThiefHasNothing(scene, await confirmLinkOfThief(scene));
      if (staysSignedIn) assert.equal((await scene.victim.agent.get('/api/me')).status, 200, "the victim's own browser stays signed in");
    });
  }

  // The other turn: the sign-out holds the user's row (held at the pending change it
  // revokes, as below) when the email change's transaction begins, its password checked.
  // The change waits for the row; once the sign-out commits it must find its session gone.
  // (Its UPDATE, having waited, re-checks only the user's row; a look at the session inside
  // that statement would still see the snapshot it began with, and the session in it.)
  test('an email change whose write begins while the victim signs out everywhere: refused, no link (PostgreSQL)', async () => {
    const scene = await tenants.stolenSession();
    ok(await scene.victim.agent.post('/api/me/email', { email: `${scene.victim.username}.new@proved-race.test`, password: STRONG_PASSWORD }), "the victim's own email change");
    const holder = await holdLocks(server.database.url);
    const watcher = await lockWatcher(server.database.url);
    const held = holdNextTransaction(server);
    let asked;
    try {
      const locked = await holder.query(
        "SELECT 1 FROM action_links WHERE user_id = $1 AND purpose = 'confirm_email' AND revoked_at IS NULL FOR UPDATE",
        [scene.victim.id],
      );
      assert.equal(locked.rowCount, 1);
      const change = inFlight(askEmailChange(scene));
      await held.atHold;
      held.restore();
      const signOut = inFlight(signOutEverywhere(scene));
      await until(() => watcher.waitingAt(/^update "action_links"/), 'the sign-out, holding the user, waiting to revoke the pending change');
      held.release();
      await until(async () => change.answered || (await watcher.count()) >= 2, 'the email change answering, or waiting behind the sign-out');
      await holder.release();
      ok(await signOut.answer, 'sign out everywhere');
      asked = await change.answer;
    } finally {
      held.release();
      held.restore();
      await holder.close();
      await watcher.close();
    }
    assert.deepEqual([asked.status, asked.body.error?.code], [401, 'session.required'], `a change written after "sign out everywhere" committed: ${JSON.stringify(asked.body)}`);
    const live = await server.gatehouse.deps.db
      .selectFrom('action_links')
      .select('data')
      .where('company_id', '=', scene.company.companyId)
      .where('purpose', '=', 'confirm_email')
      .where('revoked_at', 'is', null)
      .where('consumed_at', 'is', null)
      .execute();
    assert.deepEqual(live, [], 'no live confirm link');
    assert.equal(await emailOf(scene), scene.victim.email);
    assert.equal((await scene.thief.get('/api/me')).status, 401);
  });

  // "Sign out everywhere" is held after it ended the sessions, at the pending email change
  // it revokes (the victim's own, its confirm link locked by the test's connection); the
  // thief's password change runs meanwhile. It must not copy a session the sign-out ended:
  // it waits for the sign-out (the user's row), then finds its session gone.
  test('a password change in flight while the victim signs out everywhere: the thief is out (PostgreSQL)', async () => {
    const scene = await tenants.stolenSession();
    ok(await scene.victim.agent.post('/api/me/email', { email: `${scene.victim.username}.new@proved-race.test`, password: STRONG_PASSWORD }), "the victim's own email change");
    const holder = await holdLocks(server.database.url);
    const watcher = await lockWatcher(server.database.url);
    let changed;
    try {
      const locked = await holder.query(
        "SELECT 1 FROM action_links WHERE user_id = $1 AND purpose = 'confirm_email' AND revoked_at IS NULL FOR UPDATE",
        [scene.victim.id],
      );
      assert.equal(locked.rowCount, 1);
      const signOut = inFlight(signOutEverywhere(scene));
      await until(() => watcher.waitingAt(/^update "action_links"/), 'the sign-out, the sessions ended, waiting to revoke the pending change');
      const change = inFlight(changePassword(scene));
      await until(async () => change.answered || (await watcher.count()) >= 2, 'the password change answering, or waiting behind the sign-out');
      await holder.release();
      ok(await signOut.answer, 'sign out everywhere');
      changed = await change.answer;
    } finally {
      await holder.close();
      await watcher.close();
    }
    const me = await scene.thief.get('/api/me');
    assert.equal(me.status, 401, `the thief's browser outlived "sign out everywhere" (password change ${changed?.status}, GET /api/me ${me.status})`);
    assert.deepEqual([changed.status, changed.body.error?.code], [401, 'session.required'], JSON.stringify(changed.body));
    assert.equal((await scene.victim.agent.get('/api/me')).status, 401);
  });
});

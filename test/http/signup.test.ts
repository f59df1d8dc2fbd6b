// The Sign Up link's password page: the password rule, single use (also when raced),
// no session before the full login, and exactly one Root Master per company.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { logIn, signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';

for (const engine of await enginesUnderTest()) describe(`Sign Up: set your password (${engine})`, () => {
  let server: TestServer;
  let operator: Awaited<ReturnType<typeof signedInOperator>>;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    operator = await signedInOperator(server);
    tenants = tenantFactory(server, operator, { namePrefix: 'Signup Co', emailDomain: 'signup.test' });
  });
  after(() => server.close());

  /** A fresh company whose Root Master has a live Sign Up link. */
  const freshLink = () => tenants.approved();
  const submit = (token: string, password: string, confirm = password, agent = server.agent()) =>
    agent.post('/api/signup', { token, password, confirm });

  test('the page names the company and user; dead and unknown links share one answer', async () => {
    const { token, companyName, username } = await freshLink();
    const page = await server.agent().get(`/api/signup/${token}`);
    assert.equal(page.status, 200);
    assert.equal(page.body.companyName, companyName);
    assert.equal(page.body.username, username);
    assert.ok(Date.parse(page.body.expiresAt) > server.clock());

    const unknown = await server.agent().get(`/api/signup/${'A'.repeat(43)}`);
    const garbage = await server.agent().get(`/api/signup/${encodeURIComponent("' OR 1=1 --")}`);
    assert.equal(unknown.status, 410);
    assert.equal(unknown.body.error.code, 'link.invalid');
    assert.deepEqual(garbage.body, unknown.body);
    const malformed = await submit('not-a-token', STRONG_PASSWORD);
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'request.invalid');
  });

  test('the password rule: composition, common passwords, length cap, confirmation', async () => {
    const { token } = await freshLink();
    const weak: Array<[string, RegExp]> = [
      ['velvet-harbor-42!', /upper-case/],
      ['VELVET-HARBOR-42!', /lower-case/],
      ['Velvet-Harbor-!!', /number/],
      ['VelvetHarbor42', /symbol/],
      ['Vh-42!', /8 characters/],
    ];
    for (const [password, why] of weak) {
      const answer = await submit(token, password);
      assert.equal(answer.status, 400, password);
      assert.equal(answer.body.error.code, 'password.too_weak');
      assert.match(answer.body.error.fields.password, why);
    }
    const common = await submit(token, 'Password1!');
    assert.equal(common.status, 400);
    assert.equal(common.body.error.code, 'password.too_common');
    assert.ok(common.body.error.fields.password);

    const tooLong = await submit(token, `Aa1!${'x'.repeat(1021)}`);
    assert.equal(tooLong.status, 400);
    assert.ok(tooLong.body.error.fields.password);

    const mismatch = await submit(token, STRONG_PASSWORD, `${STRONG_PASSWORD} `);
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.error.code, 'password.mismatch');
    assert.ok(mismatch.body.error.fields.confirm);

    assert.equal((await server.agent().get(`/api/signup/${token}`)).status, 200, 'refusals do not use the link up');
  });

  test('a 1024-character password is accepted in full, never truncated', async () => {
    const { token, username, companyName } = await freshLink();
    const long = `Aa1!${'x7Qz#'.repeat(204)}`;
    assert.equal(long.length, 1024);
    assert.equal((await submit(token, long)).status, 200);
    const prefix = server.agent();
    await prefix.post('/api/login/identify', { username, companyName });
    assert.equal((await prefix.post('/api/login/password', { password: long.slice(0, 72) })).status, 401);
    assert.equal((await prefix.post('/api/login/password', { password: long.slice(0, -1) })).status, 401);
    const full = await prefix.post('/api/login/password', { password: long });
    assert.equal(full.status, 200);
    assert.equal(full.body.step, 'enroll');
  });

  // The cap counts what the rule and the hash see: code points of the NFKC form. Counted
  // in UTF-16 units, an emoji was two characters and 604 of them were "over 1024"; counted
  // as typed, a password NFKC makes 18 times longer was hashed whole.
  test('the length cap counts the code points of the normalized password, at sign-up and at the password step', async () => {
    const { token, username, companyName } = await freshLink();
    const astral = `Aa1!${'\u{1F40E}\u{1F3F0}'.repeat(510)}`; // 1024 code points, 2044 UTF-16 units
    assert.equal([...astral].length, 1024);
    const expanding = `Aa1!Zq${'\uFDFA'.repeat(57)}`; // 63 characters typed, 1032 once normalized
    assert.equal([...expanding.normalize('NFKC')].length, 1032);
    const refused = await submit(token, expanding);
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.fields.password, /at most 1024 characters/);
    assert.equal((await submit(token, `${astral}x`)).status, 400, '1025 code points');
    const set = await submit(token, astral);
    assert.equal(set.status, 200, JSON.stringify(set.body));

    const browser = server.agent();
    await browser.post('/api/login/identify', { username, companyName });
    const tooLong = await browser.post('/api/login/password', { password: expanding });
    assert.equal(tooLong.status, 400, 'the password step refuses it before any hash, as a malformed request');
    const full = await browser.post('/api/login/password', { password: astral });
    assert.equal(full.status, 200, JSON.stringify(full.body));
    assert.equal(full.body.step, 'enroll');
  });

  // NIST SP 800-63B 5.1.1.2: a password is its NFKC form, checked and hashed as such
  // (src/contract/password-rules.ts). Once, each spelling was a password of its own.
  test('one password however its characters are spelled (NFKC): a fullwidth common password is refused; any spelling logs in', async () => {
    const { token, username, companyName } = await freshLink();
    for (const common of ['Ｐａｓｓｗｏｒｄ１！', 'Ｗｅｌｃｏｍｅ１２３！']) {
      const refused = await submit(token, common);
      assert.equal(refused.status, 400, common);
      assert.equal(refused.body.error.code, 'password.too_common', `${common} is Password1! and Welcome123! in fullwidth forms`);
    }
    const composed = 'Zürich-Kästchen-42!'.normalize('NFC');
    const decomposed = composed.normalize('NFD');
    assert.notEqual(composed, decomposed);
    // Typed once with ü, pasted once as u and a combining diaeresis: the same password.
    assert.equal((await submit(token, composed, decomposed)).status, 200);
    for (const [spelling, typed] of [['composed', composed], ['decomposed', decomposed], ['fullwidth Z', `Ｚ${composed.slice(1)}`]] as const) {
      const browser = server.agent();
      await browser.post('/api/login/identify', { username, companyName });
      const answer = await browser.post('/api/login/password', { password: typed });
      assert.equal(answer.status, 200, `${spelling}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.step, 'enroll');
    }
  });

  test('setting the password creates no session: login with 2FA is still ahead', async () => {
    const { token } = await freshLink();
    const browser = server.agent();
    const answer = await submit(token, STRONG_PASSWORD, STRONG_PASSWORD, browser);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { next: '/login' });
    assert.deepEqual(answer.setCookies, [], 'no cookie of any kind');
    const me = await browser.get('/api/me');
    assert.equal(me.status, 401);
    assert.equal(me.body.error.code, 'session.required');
  });

  test('the link works once', async () => {
    const { token } = await freshLink();
    assert.equal((await submit(token, STRONG_PASSWORD)).status, 200);
    const replay = await submit(token, 'Other-Harbor-77?');
    assert.equal(replay.status, 410);
    assert.equal(replay.body.error.code, 'link.invalid');
    assert.equal((await server.agent().get(`/api/signup/${token}`)).status, 410);
  });

  test('a link that outlived the invitation (a deactivation it raced, a restored backup) wakes no one and replaces no password', async () => {
    const { token, username, companyId } = await freshLink();
    const db = server.gatehouse.deps.db;
    const user = () => db.selectFrom('users').select(['status', 'password_hash']).where('company_id', '=', companyId).where('username', '=', username).executeTakeFirstOrThrow();
    const setUser = (changes: { status?: 'invited' | 'disabled'; password_hash?: string | null }) =>
      db.updateTable('users').set(changes).where('company_id', '=', companyId).where('username', '=', username).execute();
    await setUser({ status: 'disabled' });
    const asleep = await submit(token, STRONG_PASSWORD);
    assert.deepEqual([asleep.status, asleep.body.error.code], [410, 'link.invalid']);
    assert.deepEqual({ ...(await user()) }, { status: 'disabled', password_hash: null });
    await setUser({ status: 'invited', password_hash: 'a password set since' });
    assert.equal((await submit(token, STRONG_PASSWORD)).status, 410);
    assert.equal((await user()).password_hash, 'a password set since');
    // Refused, the link was not used up: for the invitation it belongs to, it still works.
    await setUser({ status: 'invited', password_hash: null });
    assert.equal((await submit(token, STRONG_PASSWORD)).status, 200);
    assert.equal((await user()).status, 'active');
  });

  test("a suspended company's Sign Up link sets no password, and reactivating does not bring it back", async () => {
    const { token, companyId } = await freshLink();
    const operatorAgent = await tenants.operatorAgent();
    assert.equal((await operatorAgent.post(`/api/operator/companies/${companyId}/suspend`)).status, 200);
    assert.equal((await server.agent().get(`/api/signup/${token}`)).status, 410);
    assert.equal((await submit(token, STRONG_PASSWORD)).status, 410);
    const root = await server.gatehouse.deps.db.selectFrom('users').select(['status', 'password_hash']).where('company_id', '=', companyId).executeTakeFirstOrThrow();
    assert.deepEqual({ ...root }, { status: 'invited', password_hash: null });
    assert.equal((await operatorAgent.post(`/api/operator/companies/${companyId}/reactivate`)).status, 200);
    // Suspension revoked it (test/http/suspension-links.test.ts): the operator sends a new welcome.
    assert.equal((await submit(token, STRONG_PASSWORD)).status, 410, 'revoked for good');
  });

  test('browsers racing with one link: exactly one wins, and the company has one Root Master', async () => {
    const { token, username, companyName, companyId } = await freshLink();
    const passwords = ['Amber-Falcon-31!', 'Brisk-Lantern-52?', 'Copper-Meadow-73#', 'Dusky-Orchid-94$'];
    const answers = await Promise.all(passwords.map((p) => submit(token, p)));
    const winners = answers.flatMap((a, i) => (a.status === 200 ? [passwords[i] as string] : []));
    assert.equal(winners.length, 1, JSON.stringify(answers.map((a) => a.status)));
    for (const lost of answers.filter((a) => a.status !== 200)) assert.equal(lost.body.error.code, 'link.invalid');

    const loser = passwords.find((p) => p !== winners[0]) as string;
    const wrong = server.agent();
    await wrong.post('/api/login/identify', { username, companyName });
    assert.equal((await wrong.post('/api/login/password', { password: loser })).status, 401, "a losing browser's password was not stored");

    const browser = server.agent();
    await logIn(server, browser, { username, companyName, password: winners[0] as string });
    const me = await browser.get('/api/me');
    assert.equal(me.body.user.role, 'root_master');
    assert.equal(me.body.company.id, companyId);

    const roots = await server.gatehouse.storage.db
      .selectFrom('users')
      .select('id')
      .where('company_id', '=', companyId)
      .where('role', '=', 'root_master')
      .execute();
    assert.equal(roots.length, 1);
    const listed = (await operator.agent.get('/api/operator/companies')).body.companies.find((c: any) => c.id === companyId);
    assert.equal(listed.rootMaster.signedUp, true);
  });
});

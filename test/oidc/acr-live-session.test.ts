// What a module is told about a sign-in (who, acr, amr, auth_time) is the live Gatehouse
// session's, and what it asks for (acr_values for a key, max_age) is met, stepped up to,
// or, with prompt=none, refused: never a code that claims more, or less, than that
// session. Once a browser has signed in to a module, oidc-provider holds a session of its
// own there and makes later codes from the login it remembers in it, without a resume
// (src/modules/oidc/live-login.ts). Each test signs a fresh browser in to the module once,
// then changes the Gatehouse side (a new login with or without the key, another user, the
// session idle or past its limit) and asserts what the module gets: a code and its ID
// token's claims, or an error. The clock is pinned (a little ahead of the provider's), so
// every login has its own TOTP step and auth_time, and sessions age without waiting.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import {
  companyUser,
  companyWithRootMaster,
  followRedirects,
  grantedModule,
  redeem,
  rootWithGrantedModule,
  startAuthorization,
  type AuthorizationStart,
  type Person,
} from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

const TWO_FACTOR = 'urn:gatehouse:loa:2fa';
const PHISHING_RESISTANT = 'urn:gatehouse:loa:phishing-resistant';
const MINUTE = 60_000;

type User = Person & { key: SoftAuthenticator };
/** A login as a module should be told of it. */
type Login = { acr: string; amr: string[]; at: number };

for (const engine of await enginesUnderTest()) {
  describe(`a module is told the live Gatehouse session's login (${engine})`, () => {
    let server: TestServer;
    let root: Person;
    let module: Awaited<ReturnType<typeof grantedModule>>;
    /** Root Master of a second company, whose sessions end 15 minutes after login. */
    let shortLived: Person;

    before(async () => {
      server = await startTestServer({ engine });
      server.clock.set(Date.now());
      let operator: Agent;
      ({ operator: { agent: operator }, root, module } = await rootWithGrantedModule(server));
      shortLived = await companyWithRootMaster(server, operator);
      const grant = await operator.post(`/api/operator/companies/${shortLived.companyId}/modules/${module.module.id}/grant`);
      assert.equal(grant.status, 200, JSON.stringify(grant.body));
      const policy = await shortLived.agent.post('/api/company/policy', { sessionAbsoluteMinutes: 15, sessionIdleMinutes: 15 });
      assert.equal(policy.status, 200, JSON.stringify(policy.body));
    });
    after(() => server.close());

    let users = 0;
    /** A user of root's company with a security key; each test logs in in a browser of its own. */
    async function userWithKey(): Promise<User> {
      users += 1;
      const person = await companyUser(server, root, `live${users}`);
      const key = new SoftAuthenticator(server.baseUrl);
      const options = await person.agent.post('/api/me/security-keys/options', { password: STRONG_PASSWORD });
      assert.equal((await person.agent.post('/api/me/security-keys', { response: key.register(options.body) })).status, 200);
      return { ...person, key };
    }

    /** A new Gatehouse login in `browser` with password and the app's code, on a TOTP step of its own. */
    async function logInWithCode(browser: Agent, person: Person, returnTo?: string) {
      server.clock.advance(30_000);
      await identify(browser, person, returnTo);
      const done = await browser.post('/api/login/totp', { code: totpAt(person.totpSecret, server.clock()) });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      return { acr: TWO_FACTOR, amr: ['pwd', 'otp'], at: server.clock(), redirectTo: done.body.redirectTo as string | undefined };
    }

    /** A new Gatehouse login in `browser` with password and the user's security key. */
    async function logInWithKey(browser: Agent, user: User, returnTo?: string) {
      server.clock.advance(30_000);
      await identify(browser, user, returnTo);
      const options = await browser.post('/api/login/key/options');
      const done = await browser.post('/api/login/key', { response: user.key.assert(options.body) });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      return { acr: PHISHING_RESISTANT, amr: ['pwd', 'hwk', 'user'], at: server.clock(), redirectTo: done.body.redirectTo as string | undefined };
    }

    async function identify(browser: Agent, person: Person, returnTo?: string) {
      const identified = await browser.post('/api/login/identify', { username: person.username, companyName: person.companyName, ...(returnTo ? { returnTo } : {}) });
      assert.equal(identified.status, 200, JSON.stringify(identified.body));
      const afterPassword = await browser.post('/api/login/password', { password: STRONG_PASSWORD });
      assert.equal(afterPassword.body.step, 'totp', JSON.stringify(afterPassword.body));
    }

    /**
     * What the module gets for a request from `browser`: the ID token's claims, or the
     * error at its redirect URI, or neither (the browser stopped at a Gatehouse page).
     * A page that submits its form by itself is submitted, as a browser does (the provider
     * ends its session of a previous account that way).
     */
    async function moduleGets(browser: Agent, extra: Record<string, string> = {}, from?: { start: AuthorizationStart; path: string }) {
      const start = from?.start ?? (await startAuthorization(module.config, extra));
      let walk = await followRedirects(browser, from?.path ?? start.url);
      const page = String(walk.final?.body ?? '');
      if (walk.final?.status === 200 && /document\.forms\[0\]\.submit\(\)/.test(page)) {
        const action = new URL(/<form method="post" action="([^"]+)"/.exec(page)?.[1] ?? '');
        const fields = [...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1], m[2]] as [string, string]);
        const posted = await browser.request('POST', action.pathname, new URLSearchParams(fields).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
        assert.equal(posted.status, 303);
        walk = await followRedirects(browser, posted.headers.get('location') as string);
      }
      const error = walk.callback?.searchParams.get('error') ?? undefined;
      const claims = walk.callback && !error ? (await redeem(module.config, walk.callback, start)).claims() : undefined;
      return { start, claims, error, at: walk.at, status: walk.final?.status };
    }

    function assertTold(got: Awaited<ReturnType<typeof moduleGets>>, login: Login, what: string, sub?: string) {
      assert.ok(got.claims, `${what}: a code, not ${got.error ?? `${got.status} at ${got.at}`}`);
      const { acr, amr, auth_time } = got.claims;
      assert.deepEqual({ acr, amr, auth_time }, { acr: login.acr, amr: login.amr, auth_time: Math.floor(login.at / 1000) }, `${what}: the live login`);
      if (sub) assert.equal(got.claims.sub, sub, `${what}: the live session's user`);
    }

    function assertLoginRequired(got: Awaited<ReturnType<typeof moduleGets>>, what: string) {
      assert.equal(got.claims, undefined, `${what}: no code (acr ${got.claims?.acr}, auth_time ${got.claims?.auth_time})`);
      assert.equal(got.error, 'login_required', what);
    }

    /** Sent to Gatehouse's login page; returns where the login returns to. */
    function assertSentToLogin(got: Awaited<ReturnType<typeof moduleGets>>, what: string, need: string | null = null) {
      assert.equal(got.claims, undefined, `${what}: no code (acr ${got.claims?.acr}, auth_time ${got.claims?.auth_time})`);
      assert.equal(got.at?.pathname, '/login', `${what}: sent to the login page, not ${got.error ?? got.at}`);
      assert.equal(got.at.searchParams.get('need'), need, `${what}: the login page is told why`);
      return got.at.searchParams.get('return') ?? assert.fail('a return path');
    }

    test('asking for a key (acr_values) from a browser signed in to the module with a code: the user steps up, and the module is told the key login', async () => {
      const user = await userWithKey();
      const browser = server.agent();
      const withCode = await logInWithCode(browser, user);
      assertTold(await moduleGets(browser), withCode, 'first sign-in');

      const asked = await moduleGets(browser, { acr_values: PHISHING_RESISTANT });
      const returnTo = assertSentToLogin(asked, 'acr_values phishing-resistant', 'key');
      const withKey = await logInWithKey(browser, user, returnTo);
      assert.equal(withKey.redirectTo, returnTo);
      assertTold(await moduleGets(browser, {}, { start: asked.start, path: returnTo }), withKey, 'after the step-up');
    });

    test('prompt=none asking for a key from a session made with a code: login_required, no code', async () => {
      const user = await userWithKey();
      const browser = server.agent();
      await logInWithCode(browser, user);
      await moduleGets(browser);
      assertLoginRequired(await moduleGets(browser, { acr_values: PHISHING_RESISTANT, prompt: 'none' }), 'silent, acr_values phishing-resistant');
    });

    test('a new login with a code after a key login in the same browser: the module is told the new login, and asking for the key steps up again', async () => {
      const user = await userWithKey();
      const browser = server.agent();
      const withKey = await logInWithKey(browser, user);
      assertTold(await moduleGets(browser), withKey, 'first sign-in');

      const withCode = await logInWithCode(browser, user);
      assertTold(await moduleGets(browser, { prompt: 'none' }), withCode, 'silent');
      assertTold(await moduleGets(browser), withCode, 'interactive');
      assertLoginRequired(await moduleGets(browser, { acr_values: PHISHING_RESISTANT, prompt: 'none' }), 'silent, acr_values phishing-resistant');
      assertSentToLogin(await moduleGets(browser, { acr_values: PHISHING_RESISTANT }), 'acr_values phishing-resistant', 'key');
    });

    test('a new login with the key after one with a code: the module is told the key, and its request for one is met silently', async () => {
      const user = await userWithKey();
      const browser = server.agent();
      const withCode = await logInWithCode(browser, user);
      assertTold(await moduleGets(browser), withCode, 'first sign-in');

      const withKey = await logInWithKey(browser, user);
      assertTold(await moduleGets(browser, { acr_values: PHISHING_RESISTANT, prompt: 'none' }), withKey, 'silent, acr_values phishing-resistant');
      assertTold(await moduleGets(browser), withKey, 'interactive');
    });

    test("max_age is measured on the live session's login: a new login satisfies it with its own auth_time, and once that ages the module is asked again", async () => {
      const user = await userWithKey();
      const browser = server.agent();
      await logInWithCode(browser, user);
      await moduleGets(browser);
      server.clock.advance(10 * MINUTE);

      const fresh = await logInWithCode(browser, user);
      assertTold(await moduleGets(browser, { prompt: 'none', max_age: '300' }), fresh, 'silent, max_age within the new login');
      server.clock.advance(6 * MINUTE);
      assertLoginRequired(await moduleGets(browser, { prompt: 'none', max_age: '300' }), 'silent, max_age past the new login');
      assertSentToLogin(await moduleGets(browser, { max_age: '300' }), 'max_age past the new login');
    });

    test("another user's login in the same browser: the module is told that user and their login, never the previous one's", async () => {
      const first = await userWithKey();
      const second = await userWithKey();
      const browser = server.agent();
      const firstLogin = await logInWithKey(browser, first);
      const before = await moduleGets(browser);
      assertTold(before, firstLogin, 'first user');

      const secondLogin = await logInWithCode(browser, second);
      assertLoginRequired(await moduleGets(browser, { prompt: 'none' }), 'silent, another account');
      const after = await moduleGets(browser);
      assertTold(after, secondLogin, 'interactive, another account');
      assert.notEqual(after.claims?.sub, before.claims?.sub);
      assert.equal(after.claims?.preferred_username, second.username);
    });

    test('the Gatehouse session idle past its timeout while the provider session lives: no code, silently or not', async () => {
      const user = await userWithKey();
      const browser = server.agent();
      await logInWithKey(browser, user);
      await moduleGets(browser);
      server.clock.advance(31 * MINUTE); // the company's idle timeout: 30 minutes

      assertLoginRequired(await moduleGets(browser, { prompt: 'none' }), 'silent, idle');
      assertLoginRequired(await moduleGets(browser, { prompt: 'none', acr_values: PHISHING_RESISTANT }), 'silent, idle, acr_values');
      assertSentToLogin(await moduleGets(browser), 'idle');
    });

    test("the Gatehouse session past its company's absolute limit while in use: no code, silently or not", async () => {
      const browser = server.agent();
      await logInWithCode(browser, shortLived);
      await moduleGets(browser);
      server.clock.advance(10 * MINUTE);
      assert.equal((await browser.get('/api/me')).status, 200, 'in use: not idle');
      server.clock.advance(6 * MINUTE); // 16 minutes after the login, 6 after its last use

      assertLoginRequired(await moduleGets(browser, { prompt: 'none' }), 'silent, past the limit');
      assertSentToLogin(await moduleGets(browser), 'past the limit');
    });
  });
}

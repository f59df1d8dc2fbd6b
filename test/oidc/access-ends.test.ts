// A module's access lives and dies with the Gatehouse session it came from, and modules
// are told when it ends. For every way access ends (one line each in ACCESS_ENDS), a
// module holding tokens receives a signed back-channel logout for the session it saw,
// its refresh token stops working, userinfo refuses its access token, and introspection
// calls both inactive. Session-scoped endings leave the user's other browsers alone; a
// module that is down at first still gets its notice, from the outbox's retries.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { listLogoutNotices } from '../../src/modules/index.ts';
import { createUser, issueSignupLink } from '../../src/users/index.ts';
import { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { assertValidLogoutToken, startBackchannelReceiver } from '../helpers/backchannel.ts';
import { logIn, signedInOperator, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import {
  client,
  companyUser,
  companyWithRootMaster,
  discover,
  followRedirects,
  grantedModule,
  logInAgain,
  nextTotpCode,
  signInToModule,
  startAuthorization,
  type Person,
} from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const NEW_PASSWORD = 'Lantern-Meadow-58?';
const RESET_SUBJECT = 'Reset your Gatehouse password';

type Receiver = Awaited<ReturnType<typeof startBackchannelReceiver>>;
type Module = Awaited<ReturnType<typeof grantedModule>>;
/** What a module keeps of a sign-in: its tokens and who they are for. */
interface ModuleSession {
  tokens: { access_token: string; refresh_token?: string | undefined };
  claims: { sub: string; sid?: unknown };
}

interface Setting {
  server: TestServer;
  operator: Agent;
  root: Person;
  user: Person & { id: string };
  module: Module;
  path: string;
}

const ok = async (answer: Promise<{ status: number; body: unknown }>, what: string) => {
  const settled = await answer;
  assert.ok(settled.status >= 200 && settled.status < 300, `${what}: ${settled.status} ${JSON.stringify(settled.body)}`);
};

/** Every way a user's access ends, as the people who do it do it, over HTTP. Add a way: add a line. */
const ACCESS_ENDS: { name: string; end: (s: Setting) => Promise<void> }[] = [
  { name: 'Log Out', end: (s) => ok(s.user.agent.post('/api/logout'), 'log out') },
  { name: 'sign out everywhere', end: (s) => ok(s.user.agent.post('/api/me/sessions/revoke-all'), 'sign out everywhere') },
  {
    name: 'ending the session in My Settings',
    end: async (s) => {
      const listed = await s.user.agent.get('/api/me/sessions');
      const current = (listed.body.sessions as { id: string; current: boolean }[]).find((x) => x.current);
      assert.ok(current);
      await ok(s.user.agent.post(`/api/me/sessions/${current.id}/revoke`), 'end session');
    },
  },
  { name: 'deactivation by a Master', end: (s) => ok(s.root.agent.post(`/api/company/users/${s.user.id}/deactivate`), 'deactivate') },
  { name: 'deletion by a Master', end: (s) => ok(s.root.agent.post(`/api/company/users/${s.user.id}/delete`), 'delete') },
  {
    name: 'password change',
    end: (s) => ok(s.user.agent.post('/api/me/password', { currentPassword: s.user.password, newPassword: NEW_PASSWORD, confirm: NEW_PASSWORD }), 'change'),
  },
  {
    name: 'password reset by mail',
    end: async (s) => {
      const to = (await s.user.agent.get('/api/me')).body.user.email as string;
      const mine = () => s.server.mail.messages.filter((m) => m.subject === RESET_SUBJECT && m.to.includes(to));
      await ok(s.server.agent().post('/api/login/forgot-password', { username: s.user.username, companyName: s.user.companyName }), 'forgot');
      await s.server.mail.waitFor(() => mine().length > 0);
      const token = /\/reset-password\/([A-Za-z0-9_-]{43})/.exec(mine().at(-1)?.text ?? '')?.[1];
      assert.ok(token);
      await ok(s.server.agent().post('/api/password-reset', { token, password: NEW_PASSWORD, confirm: NEW_PASSWORD }), 'reset');
    },
  },
  { name: '2FA reset by a Master', end: (s) => ok(s.root.agent.post(`/api/company/users/${s.user.id}/reset-2fa`), 'reset 2fa') },
  {
    name: 'own 2FA reset',
    end: async (s) => ok(s.user.agent.post('/api/me/two-factor/reset', { password: s.user.password, code: await nextTotpCode(s.user.totpSecret) }), 'own reset'),
  },
  { name: 'company suspension', end: (s) => ok(s.operator.post(`/api/operator/companies/${s.root.companyId}/suspend`), 'suspend') },
  {
    name: 'the module revoked for the company by an operator',
    end: (s) => ok(s.operator.post(`/api/operator/companies/${s.root.companyId}/modules/${s.module.module.id}/revoke`), 'revoke'),
  },
  {
    name: "the module switched off by the company's Master",
    end: (s) => ok(s.root.agent.post(`/api/company/modules/${s.module.module.id}`, { enabled: false }), 'switch off'),
  },
];

async function assertModuleAccessEnded(config: client.Configuration, session: ModuleSession, what: string) {
  await assert.rejects(client.refreshTokenGrant(config, session.tokens.refresh_token as string), (error: any) => {
    assert.equal(error.error, 'invalid_grant', `${what}: refresh`);
    return true;
  });
  await assert.rejects(client.fetchUserInfo(config, session.tokens.access_token, session.claims.sub), (error: any) => {
    assert.equal(error.status ?? error.response?.status, 401, `${what}: userinfo ${String(error)}`);
    return true;
  });
  assert.equal((await client.tokenIntrospection(config, session.tokens.access_token)).active, false, `${what}: access token`);
  assert.equal((await client.tokenIntrospection(config, session.tokens.refresh_token as string)).active, false, `${what}: refresh token`);
}

async function assertModuleAccessLive(config: client.Configuration, session: ModuleSession, what: string): Promise<ModuleSession> {
  const refreshed = await client.refreshTokenGrant(config, session.tokens.refresh_token as string);
  assert.ok(refreshed.access_token, `${what}: refresh works`);
  const info = await client.fetchUserInfo(config, refreshed.access_token, session.claims.sub);
  assert.equal(info.sub, session.claims.sub);
  return { claims: session.claims, tokens: refreshed };
}

/** Re-reads until the condition holds (the worker runs on its own schedule). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let slugs = 0;
const slugOf = (name: string) => `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${(slugs += 1)}`;

/** A fresh company, a module granted to it with a back-channel URI, a user signed in to it. */
async function setting(server: TestServer, operator: Agent, receiver: Receiver, name: string) {
  const slug = slugOf(name);
  const path = `/${slug}/backchannel`;
  const root = await companyWithRootMaster(server, operator);
  const module = await grantedModule(server, operator, root.companyId, { name: `Module ${slug}`, backchannelLogoutUri: receiver.url(path) });
  const person = await companyUser(server, root, `u${slugs}`);
  const id = (await person.agent.get('/api/me')).body.user.id as string;
  const user = { ...person, id };
  const signedIn = await signInToModule(module.config, user.agent, { scope: 'openid profile email company offline_access' });
  assert.ok(signedIn.tokens.refresh_token, 'the module holds a refresh token');
  return { setting: { server, operator, root, user, module, path } satisfies Setting, signedIn };
}

for (const engine of await enginesUnderTest()) describe(`every way access ends tells the modules and ends their tokens (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let receiver: Receiver;
  before(async () => {
    receiver = await startBackchannelReceiver();
    server = await startTestServer({ engine, realClock: true, env: { GATEHOUSE_TRUST_PROXY: '1' } });
    operator = (await signedInOperator(server)).agent;
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  for (const way of ACCESS_ENDS) {
    test(`${way.name}: the module gets a back-channel logout, refresh and userinfo refuse`, async () => {
      const { setting: s, signedIn } = await setting(server, operator, receiver, way.name);
      await assertModuleAccessLive(s.module.config, signedIn, 'before');
      await way.end(s);
      const notice = await receiver.waitFor((n) => n.path === s.path && n.payload.sid === signedIn.claims.sid, way.name);
      await assertValidLogoutToken(assert, s.module.config, notice, {
        iss: `${server.baseUrl}/oidc`,
        aud: s.module.module.clientId,
        sub: signedIn.claims.sub,
        sid: signedIn.claims.sid as string,
      });
      await assertModuleAccessEnded(s.module.config, signedIn, way.name);
    });
  }

  test("Log Out and ending a session end only that browser's module access; other browsers go on", async () => {
    const { setting: s, signedIn: first } = await setting(server, operator, receiver, 'two browsers');
    const secondBrowser = server.agent();
    await logInAgain(server, secondBrowser, s.user);
    let second: ModuleSession = await signInToModule(s.module.config, secondBrowser, { scope: 'openid offline_access' });
    assert.notEqual(second.claims.sid, first.claims.sid, 'each browser is its own session for the module');

    await ok(s.user.agent.post('/api/logout'), 'log out');
    await receiver.waitFor((n) => n.path === s.path && n.payload.sid === first.claims.sid, 'the first browser');
    await assertModuleAccessEnded(s.module.config, first, 'the browser that logged out');
    second = await assertModuleAccessLive(s.module.config, second, 'the other browser');
    assert.ok(!receiver.received.some((n) => n.path === s.path && n.payload.sid === second.claims.sid), 'the other session was not logged out');

    // A third browser ends the second one from My Settings.
    const third = server.agent();
    await logInAgain(server, third, s.user);
    const listed = await third.get('/api/me/sessions');
    const others = (listed.body.sessions as { id: string; current: boolean }[]).filter((x) => !x.current);
    assert.equal(others.length, 1);
    await ok(third.post(`/api/me/sessions/${others[0]?.id}/revoke`), 'end the other session');
    await receiver.waitFor((n) => n.path === s.path && n.payload.sid === second.claims.sid, 'the ended session');
    await assertModuleAccessEnded(s.module.config, second, 'the ended session');
    assert.equal((await secondBrowser.get('/api/me')).status, 401);
    assert.equal((await third.get('/api/me')).status, 200);
  });

  test('a module that is down at first receives its logout from the outbox after retries', async () => {
    const { setting: s, signedIn } = await setting(server, operator, receiver, 'down at first');
    receiver.failNext(s.path, 2);
    await ok(s.user.agent.post('/api/logout'), 'log out');
    // Access ends at once, whether or not the module hears about it yet.
    await assertModuleAccessEnded(s.module.config, signedIn, 'down module');
    const notice = await receiver.waitFor((n) => n.path === s.path && n.payload.sid === signedIn.claims.sid, 'after retries');
    const attempts = receiver.received.filter((n) => n.path === s.path);
    assert.deepEqual(attempts.map((n) => n.accepted), [false, false, true], 'two refused attempts, then delivered');
    assert.notEqual(attempts[0]?.payload.jti, notice.payload.jti, 'every attempt carries a fresh logout token');
    // The outbox keeps what happened for operators: delivered on the third attempt (the
    // worker records it just after the module's answer).
    const row = async () => {
      const found = (await listLogoutNotices(server.gatehouse.deps.db)).find((n) => n.clientId === s.module.module.clientId);
      assert.ok(found);
      return { status: found.status, attempts: found.attempts, reason: found.reason, lastError: found.lastError, company: found.company };
    };
    assert.deepEqual(await until(row, (r) => r.status === 'sent'), { status: 'sent', attempts: 3, reason: 'logout', lastError: null, company: s.user.companyName });
  });

  test('tightening the IP allowlist ends the sessions it now excludes, with their module access', async () => {
    /** A browser behind a proxy that names its client (the server trusts the proxy here). */
    class BrowserAt extends Agent {
      readonly ip: string;
      constructor(baseUrl: string, ip: string) {
        super(baseUrl);
        this.ip = ip;
      }
      override request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
        return super.request<T>(method, path, body, { 'x-forwarded-for': this.ip, ...headers });
      }
    }
    const slug = slugOf('allowlist');
    const path = `/${slug}/backchannel`;
    const root = await companyWithRootMaster(server, operator);
    const module = await grantedModule(server, operator, root.companyId, { name: `Module ${slug}`, backchannelLogoutUri: receiver.url(path) });
    const { db } = server.gatehouse.deps;
    const newUser = await createUser(db, root.companyId, { username: 'roamer', email: 'roamer@users.test', displayName: 'Roamer', role: 'user' }, Date.now());
    const link = await issueSignupLink(db, root.companyId, newUser.id, Date.now(), 3_600_000);
    await signUp(server, `${server.baseUrl}/signup/${link.token}`);
    const away = new BrowserAt(server.baseUrl, '198.51.100.7');
    await logIn(server, away, { username: 'roamer', companyName: root.companyName, password: STRONG_PASSWORD });
    const awaySession = await signInToModule(module.config, away, { scope: 'openid offline_access' });
    const rootSession = await signInToModule(module.config, root.agent, { scope: 'openid offline_access' });

    // The Master (at 127.0.0.1) allows only the office.
    await ok(root.agent.post('/api/company/policy', { ipAllowlist: ['127.0.0.0/8'] }), 'tighten');
    const notice = await receiver.waitFor((n) => n.path === path && n.payload.sid === awaySession.claims.sid, 'the excluded session');
    assert.equal(notice.payload.sub, awaySession.claims.sub);
    await assertModuleAccessEnded(module.config, awaySession, 'excluded session');
    assert.equal((await away.get('/api/me')).status, 401, 'the excluded session has ended');
    await assertModuleAccessLive(module.config, rootSession, 'a session inside the list');

    // A cookie presented from outside the list is refused, for Gatehouse and for a silent
    // sign-in to a module; the session itself (the Master's, in the office) goes on.
    // Outside is any address the list does not hold, and also whatever the proxy reports
    // that is not an address at all: it never falls back to the proxy's own (allowed) one.
    for (const outsideAddress of ['203.0.113.9', 'not-an-ip', '127.0.0.1:443', '127.0.0.1 x']) {
      const stolen = new BrowserAt(server.baseUrl, outsideAddress);
      for (const [name, value] of root.agent.cookies) stolen.cookies.set(name, value);
      assert.equal((await stolen.get('/api/me')).status, 401, `from "${outsideAddress}"`);
      const silent = await startAuthorization(module.config, { prompt: 'none' });
      const walk = await followRedirects(stolen, silent.url);
      assert.equal(walk.callback?.searchParams.get('error'), 'login_required', `no silent sign-in from "${outsideAddress}"`);
    }
    assert.equal((await root.agent.get('/api/me')).status, 200);
    await signInToModule(module.config, root.agent);

    // A public module's token and userinfo calls come from the user's own device: from
    // outside the list they are refused, from inside they work.
    const app = await grantedModule(server, operator, root.companyId, { name: `App ${slug}`, clientType: 'public' });
    const appSession = await signInToModule(app.config, root.agent, { scope: 'openid offline_access' });
    for (const outsideAddress of ['203.0.113.9', 'not-an-ip']) {
      const outside = await discover(server, app.module.clientId, null);
      outside[client.customFetch] = (url, options) =>
        fetch(url, { ...options, headers: { ...options.headers, 'x-forwarded-for': outsideAddress } } as RequestInit);
      await assert.rejects(client.refreshTokenGrant(outside, appSession.tokens.refresh_token as string), (error: any) => {
        assert.equal(error.error, 'invalid_grant', `refresh from "${outsideAddress}"`);
        return true;
      });
      await assert.rejects(client.fetchUserInfo(outside, appSession.tokens.access_token, appSession.claims.sub), (error: any) => {
        assert.equal(error.status ?? error.response?.status, 401, String(error));
        return true;
      });
    }
    await assertModuleAccessLive(app.config, appSession, 'a public module inside the list');
  });
});

describe('module tokens end with the idle timeout and the absolute limit of the session', () => {
  const MINUTE = 60_000;
  const servers: TestServer[] = [];
  after(() => Promise.all(servers.map((server) => server.close())));

  /** A server on the test's clock, started at the wall clock so TOTP codes and the provider's own times agree; each test moves it by hand. */
  async function pinnedServer() {
    const server = await startTestServer();
    servers.push(server);
    server.clock.set(Date.now());
    return { server, operator: (await signedInOperator(server)).agent };
  }

  test('a module refreshing in the background does not keep an idle session alive', async () => {
    const { server, operator } = await pinnedServer();
    const root = await companyWithRootMaster(server, operator);
    const module = await grantedModule(server, operator, root.companyId);
    let session: ModuleSession = await signInToModule(module.config, root.agent, { scope: 'openid offline_access' });
    server.clock.advance(20 * MINUTE);
    session = await assertModuleAccessLive(module.config, session, '20 minutes idle');
    server.clock.advance(11 * MINUTE); // 31 minutes since the user last used Gatehouse
    await assertModuleAccessEnded(module.config, session, 'past the idle timeout');
    assert.equal((await root.agent.get('/api/me')).status, 401);
  });

  test("the company's absolute limit ends refresh even for a session in use", async () => {
    const { server, operator } = await pinnedServer();
    const root = await companyWithRootMaster(server, operator);
    await ok(root.agent.post('/api/company/policy', { sessionAbsoluteMinutes: 60, sessionIdleMinutes: 30 }), 'policy');
    const module = await grantedModule(server, operator, root.companyId);
    let session: ModuleSession = await signInToModule(module.config, root.agent, { scope: 'openid offline_access' });
    for (const step of [25, 25]) {
      server.clock.advance(step * MINUTE);
      assert.equal((await root.agent.get('/api/me')).status, 200, 'the user is active');
      session = await assertModuleAccessLive(module.config, session, 'within the limit');
    }
    server.clock.advance(11 * MINUTE); // 61 minutes after login, 11 after the last use
    await assertModuleAccessEnded(module.config, session, 'past the absolute limit');
    assert.equal((await root.agent.get('/api/me')).status, 401);
  });
});

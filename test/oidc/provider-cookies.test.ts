// The provider's own cookies (its session, its interaction and resume cookies) are named
// like Gatehouse's (src/http/cookies.ts): over https `__Host-` (or `__Secure-` where the
// provider scopes one to a path), so a sibling subdomain cannot plant a provider session
// of its own in a victim's browser. And whatever the cookies say, the logout page's
// confirmation is refused from any origin but Gatehouse's own (src/http/routes/oidc.ts),
// and a browser with no provider session cannot make the logout page store rows without
// end (src/modules/oidc/anonymous-caps.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Agent as Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { enginesUnderTest } from '../helpers/databases.ts';
import { ANONYMOUS_WRITE_CAPS } from '../../src/shared/anonymous-writes.ts';
import { companyUser, rootWithGrantedModule, signInToModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createTestCertificate, type TestCertificate } from '../helpers/tls.ts';

const NAVIGATION = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const xsrfOf = (page: string) => /name="xsrf" value="([^"]+)"/.exec(page)?.[1];

describe('provider cookies over https', () => {
  let server: TestServer;
  let certificate: TestCertificate;
  const previous = getGlobalDispatcher();
  const seen: string[] = [];
  const fetchOfNode = globalThis.fetch;
  before(async () => {
    certificate = createTestCertificate();
    // Every fetch of this test (the test agents, the module's openid-client) trusts the test certificate.
    setGlobalDispatcher(new Dispatcher({ connect: { ca: readFileSync(certificate.certFile) } }));
    globalThis.fetch = async (input, init) => {
      const answer = await fetchOfNode(input, init);
      seen.push(...answer.headers.getSetCookie());
      return answer;
    };
    server = await startTestServer({ env: certificate.env, realClock: true });
  });
  after(async () => {
    globalThis.fetch = fetchOfNode;
    setGlobalDispatcher(previous);
    await server.close();
    certificate.remove();
  });

  test('every cookie of a module sign-in and of the logout page carries a prefix; the provider session __Host-', async () => {
    const { root, module } = await rootWithGrantedModule(server);
    const signedIn = await signInToModule(module.config, root.agent);
    const logout = await root.agent.get(`/oidc/session/end?${new URLSearchParams({ id_token_hint: signedIn.tokens.id_token as string })}`, NAVIGATION);
    assert.equal(logout.status, 200);
    const anonymous = await server.agent().get('/oidc/session/end', NAVIGATION);
    assert.equal(anonymous.status, 200);

    const names = seen.map((line) => line.slice(0, line.indexOf('=')));
    assert.ok(names.includes('__Host-_session'), `the provider session cookie among ${[...new Set(names)].join(', ')}`);
    for (const line of seen) {
      const name = line.slice(0, line.indexOf('='));
      assert.match(name, /^__(Host|Secure)-/, `"${name}" has no prefix: a sibling subdomain could set it`);
      assert.match(line, /;\s*secure/i, `${name} is Secure`);
      if (name.startsWith('__Host-')) {
        assert.match(line, /;\s*path=\/(;|$)/i, `${name} is for Path=/`);
        assert.doesNotMatch(line, /;\s*domain=/i, `${name} is host-only`);
      }
    }
  });
});

for (const engine of await enginesUnderTest()) {
  describe(`the logout page's guards (${engine})`, () => {
    let server: TestServer;
    let base: Awaited<ReturnType<typeof rootWithGrantedModule>>;
    before(async () => {
      server = await startTestServer({ engine, realClock: true });
      base = await rootWithGrantedModule(server);
    });
    after(() => server.close());

    test("a provider session planted in the victim's browser, with its form, cannot end the victim's session from another origin", async () => {
      const root = await companyUser(server, base.root, 'victim');
      // Over plain http nothing stops a sibling from planting cookies: the attacker's own
      // provider session (from the logout page in its browser) goes into the victim's.
      const attacker = server.agent();
      const page = await attacker.get('/oidc/session/end', NAVIGATION);
      const xsrf = xsrfOf(String(page.body));
      assert.ok(xsrf);
      for (const name of ['_session', '_session.sig']) root.agent.cookies.set(name, attacker.cookies.get(name) as string);
      const form = new URLSearchParams({ xsrf, logout: 'yes' }).toString();
      const siblings: Array<Record<string, string>> = [{ origin: 'http://blog.localhost' }, { origin: 'null', 'sec-fetch-site': 'same-site' }, { 'sec-fetch-site': 'same-site' }];
      for (const sibling of siblings) {
        const confirm = await root.agent.request('POST', '/oidc/session/end/confirm', form, { 'content-type': 'application/x-www-form-urlencoded', ...sibling, ...('origin' in sibling ? {} : { origin: '' }) });
        assert.equal(confirm.status, 403, JSON.stringify(sibling));
        assert.equal((await root.agent.get('/api/me')).status, 200, `still signed in after ${JSON.stringify(sibling)}`);
      }
      // The same form posted from Gatehouse's own page still logs out.
      const own = await root.agent.request('POST', '/oidc/session/end/confirm', form, { 'content-type': 'application/x-www-form-urlencoded' });
      assert.equal(own.status, 303);
      assert.equal((await root.agent.get('/api/me')).status, 401);
    });

    test('a network without provider sessions gets only so many logout pages; the sessions they make last a sign-in, not a day', async () => {
      const sessions = async () => server.gatehouse.deps.db.selectFrom('oidc_records').select(['expires_at']).where('model', '=', 'Session').execute();
      // The other test's logout page counted for this network too: a fresh window.
      await server.gatehouse.deps.db.deleteFrom('rate_caps').execute();
      const before = (await sessions()).length;
      const { limit } = ANONYMOUS_WRITE_CAPS.logoutPageSessions;
      const statuses: number[] = [];
      for (let i = 0; i < limit + 5; i++) statuses.push((await fetch(`${server.baseUrl}/oidc/session/end`, { headers: NAVIGATION })).status);
      assert.deepEqual(statuses.slice(0, limit), Array(limit).fill(200));
      assert.deepEqual(statuses.slice(limit), Array(5).fill(429));
      const stored = await sessions();
      assert.equal(stored.length - before, limit, 'a refused page stores nothing');
      for (const { expires_at } of stored) assert.ok(Number(expires_at) <= Date.now() + 30 * 60_000 + 5_000, 'an account-less session lives 30 minutes at most');
      // Someone signed in to a module (a provider session of their own) is not counted.
      const signedIn = await signInToModule(base.module.config, base.root.agent);
      const logout = await base.root.agent.get(`/oidc/session/end?${new URLSearchParams({ id_token_hint: signedIn.tokens.id_token as string })}`, NAVIGATION);
      assert.equal(logout.status, 200);
    });
  });
}

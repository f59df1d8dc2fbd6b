// oidc-provider's router runs a route by any case of its letters and with one trailing
// slash ("/Session/End/Confirm/" is "/session/end/confirm"). Every guard Gatehouse puts in
// front of a provider route decides on the route the provider will run
// (src/modules/oidc/route-key.ts), so no spelling walks past it: the logout confirmation's
// origin check, the logout page's cap, the resume's gate and its HEAD refusal.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ANONYMOUS_WRITE_CAPS } from '../../src/shared/anonymous-writes.ts';
import type { Agent } from '../helpers/agent.ts';
import { companyUser, redeem, REDIRECT_URI, rootWithGrantedModule, startAuthorization } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const NAVIGATION = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const xsrfOf = (page: string) => /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
/** Other spellings of the provider's route `route`, mounted at /oidc, that its router runs as the route itself. */
const spellingsOf = (route: string) =>
  [`${route}/`, route.toUpperCase(), route.replace(/\/(\w)/g, (_, c: string) => `/${c.toUpperCase()}`), `${route.toUpperCase()}/`].map((path) => `/oidc${path}`);

describe('Provider routes under other spellings of their paths', () => {
  let server: TestServer;
  let base: Awaited<ReturnType<typeof rootWithGrantedModule>>;
  before(async () => {
    server = await startTestServer({ realClock: true });
    base = await rootWithGrantedModule(server);
  });
  after(() => server.close());

  for (const path of spellingsOf('/session/end/confirm')) {
    test(`the logout confirmation posted to ${path} from a sibling page with a planted provider session is refused`, async () => {
      const victim = await companyUser(server, base.root, `victim${Math.random().toString(36).slice(2, 8)}`);
      assert.equal((await victim.agent.get('/api/me')).status, 200);
      // Over plain http a sibling (blog.localhost) can plant its own provider session, and
      // with it the xsrf value of that session's logout form.
      const attacker = server.agent();
      const xsrf = xsrfOf(String((await attacker.get('/oidc/session/end', NAVIGATION)).body));
      assert.ok(xsrf, 'the logout page carries its form');
      for (const name of ['_session', '_session.sig']) victim.agent.cookies.set(name, attacker.cookies.get(name) as string);
      const form = new URLSearchParams({ xsrf, logout: 'yes' }).toString();
      const forged = await victim.agent.request('POST', path, form, { ...FORM, origin: 'http://blog.localhost' });
      assert.equal(forged.status, 403, `${path} from a foreign origin answered ${forged.status}`);
      assert.equal((await victim.agent.get('/api/me')).status, 200, 'the victim is still signed in to Gatehouse');
    });
  }

  test('logout pages opened under other spellings count toward the network cap', async () => {
    await server.gatehouse.deps.db.deleteFrom('rate_caps').execute();
    const { limit } = ANONYMOUS_WRITE_CAPS.logoutPageSessions;
    const spellings = ['/oidc/session/end', ...spellingsOf('/session/end')];
    const statuses: number[] = [];
    for (let i = 0; i < limit + 4; i++) statuses.push((await fetch(`${server.baseUrl}${spellings[i % spellings.length]}`, { headers: NAVIGATION })).status);
    assert.deepEqual(statuses.slice(0, limit), Array(limit).fill(200));
    assert.deepEqual(statuses.slice(limit), Array(4).fill(429), 'past the cap, whatever the spelling');
    await server.gatehouse.deps.db.deleteFrom('rate_caps').execute();
  });

  describe('the resume', () => {
    /** A browser with the root's Gatehouse session, that the module sends to the provider. */
    function browser(): Agent {
      const agent = server.agent();
      agent.cookies.set('gh_session', base.root.agent.cookies.get('gh_session') ?? assert.fail('signed in'));
      return agent;
    }
    async function authorize(agent: Agent) {
      const start = await startAuthorization(base.module.config, {});
      const answer = await agent.get(start.url.pathname + start.url.search);
      assert.equal(answer.status, 303);
      return { start, resumePath: new URL(answer.headers.get('location') ?? '', start.url).pathname };
    }
    const codeIn = (answer: { headers: Headers }) => new URL(answer.headers.get('location') ?? '/', REDIRECT_URI).searchParams.get('code');

    test('a HEAD under any spelling is refused and spends nothing', async () => {
      const agent = browser();
      const { start, resumePath } = await authorize(agent);
      const uid = resumePath.split('/').at(-1) as string;
      for (const path of [resumePath, `${resumePath}/`, `/oidc/AUTH/${uid}`, `/oidc/Auth/${uid}/`]) {
        const head = await agent.request('HEAD', path);
        assert.equal(head.status, 405, `HEAD ${path} answered ${head.status}`);
      }
      const answer = await agent.get(resumePath);
      const code = codeIn(answer);
      assert.ok(code, `the sign-in was spent: the resume answered ${answer.status} ${answer.headers.get('location')}`);
      assert.ok((await redeem(base.module.config, new URL(answer.headers.get('location') ?? ''), start)).id_token);
    });

    test('a GET with a trailing slash goes through the gate and brings the module its code', async () => {
      const agent = browser();
      const { start, resumePath } = await authorize(agent);
      const slashed = await agent.get(`${resumePath}/`);
      assert.ok(codeIn(slashed), `GET ${resumePath}/ answered ${slashed.status} ${slashed.headers.get('location')}`);
      assert.ok((await redeem(base.module.config, new URL(slashed.headers.get('location') ?? ''), start)).id_token);
    });
  });
});

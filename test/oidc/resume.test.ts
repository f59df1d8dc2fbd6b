// The end of a module sign-in: the provider's resume (/oidc/auth/:uid), whose gate decides
// in the same request whether the browser's Gatehouse session will do and hands the
// result (who signed in, how, when) to the provider (src/modules/oidc/sign-in-gate.ts,
// resume-handover.ts). Nothing about the result travels in the browser, and the resume is
// good once.
// - Two resumes racing, as a double click or a replayed request would, give one code: the
//   other gets an error page, no code and no session cookie, and only one launch is
//   audited (write-batch.ts: the resume's writes are stored only if its delete of the
//   interaction found it).
// - The sign-in itself travels in the browser (src/modules/oidc/carried-interaction.ts):
//   the authorization stores nothing, its cookie is scoped to the resume alone, and the
//   tries an attacker holding the browser's other cookies can make against it (missing,
//   altered, another sign-in's, again after the resume) find no sign-in and give no code.
//   One too large for a cookie is stored and still good once.
// - The test agent keeps cookies as a browser does (test/helpers/cookie-jar.ts): a cookie
//   goes only to the paths it was set for.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { companyUser, followRedirects, grantedModule, redeem, REDIRECT_URI, rootWithGrantedModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const interactionCookie = (uid: string) => `gh_oidc_interaction_${uid}`;
const EXPIRED_PAGE = /This sign-in has expired/;

for (const engine of await enginesUnderTest()) {
  describe(`the end of a module sign-in (${engine})`, () => {
    let server: TestServer;
    let user: Person;
    let module: Awaited<ReturnType<typeof grantedModule>>;
    before(async () => {
      server = await startTestServer({ realClock: true, engine });
      ({ root: user, module } = await rootWithGrantedModule(server));
    });
    after(() => server.close());

    /** A browser signed in to Gatehouse with no provider session yet: each module request of it goes to the resume. */
    function browser(): Agent {
      const agent = server.agent();
      agent.cookies.set('gh_session', user.agent.cookies.get('gh_session') ?? assert.fail('signed in'));
      return agent;
    }

    /** A module's request up to the authorization's answer: the sign-in's uid and its resume. */
    async function authorize(agent: Agent, extra: Record<string, string> = {}) {
      const start = await startAuthorization(module.config, extra);
      const answer = await agent.get(start.url.pathname + start.url.search);
      assert.equal(answer.status, 303);
      const resumePath = new URL(answer.headers.get('location') ?? '', start.url).pathname;
      const uid = /^\/oidc\/auth\/([\w-]+)$/.exec(resumePath)?.[1] ?? assert.fail(`straight to the resume, got ${resumePath}`);
      return { start, answer, uid, resumePath };
    }

    /** The interaction's stored row, if any: a sign-in too large to carry, or the mark of a used one. */
    const interactionRow = (uid: string) =>
      server.gatehouse.deps.db.selectFrom('oidc_records').select(['payload', 'consumed_at']).where('model', '=', 'Interaction').where('id', '=', uid).executeTakeFirst();

    const codeIn = (answer: { headers: Headers }) => new URL(answer.headers.get('location') ?? '/', REDIRECT_URI).searchParams.get('code');

    const launches = async () =>
      (
        await server.gatehouse.deps.db
          .selectFrom('audit_events')
          .select('id')
          .where('action', '=', 'module.launched')
          .where('company_id', '=', user.companyId)
          .where('target', '=', module.module.clientId)
          .execute()
      ).length;

    test('two resumes racing each other give exactly one code; the other is refused cleanly', async () => {
      const agent = browser();
      const { start, resumePath } = await authorize(agent);
      const launchesBefore = await launches();

      const answers = await Promise.all([agent.get(resumePath), agent.get(resumePath)]);

      const withCode = answers.filter((answer) => codeIn(answer) !== null);
      assert.equal(withCode.length, 1, `exactly one code, got ${answers.map((answer) => `${answer.status} ${answer.headers.get('location')}`).join(', ')}`);
      const [winner] = withCode;
      const loser = answers.find((answer) => answer !== winner);
      assert.ok(winner && loser);
      assert.ok(loser.status >= 400 && loser.status < 500, `the other is refused, not a server error: ${loser.status}`);
      assert.equal(loser.headers.get('location'), null, 'no redirect');
      assert.deepEqual(loser.setCookies.filter((cookie) => /^_session=/.test(cookie)), [], 'no provider session cookie');
      assert.equal(await launches(), launchesBefore + 1, 'one launch audited');

      const tokens = await redeem(module.config, new URL(winner.headers.get('location') ?? ''), start);
      assert.ok(tokens.access_token && tokens.id_token, 'the code that came out works');
    });

    test('the honest path: one request from the authorization to the code, which clears the carried sign-in', async () => {
      const agent = browser();
      const { start, uid, resumePath } = await authorize(agent);
      const answer = await agent.get(resumePath);
      const code = codeIn(answer);
      assert.ok(code, `a code, got ${answer.status} ${answer.headers.get('location')}`);
      assert.equal(agent.cookies.has(interactionCookie(uid)), false, 'the sign-in cookie is cleared');
      assert.equal(answer.setCookies.some((line) => /^[^=]*result/i.test(line)), false, 'no result travels in a cookie');
      const tokens = await redeem(module.config, new URL(answer.headers.get('location') ?? ''), start);
      assert.ok(tokens.id_token);
    });

    test('a module switched off after the authorization gives no code: the resume decides with what is true then', async () => {
      const agent = browser();
      const { resumePath } = await authorize(agent);
      const off = await user.agent.post(`/api/company/modules/${module.module.id}`, { enabled: false });
      assert.equal(off.status, 200);
      try {
        const walk = await followRedirects(agent, new URL(resumePath, agent.baseUrl));
        assert.equal(walk.callback, undefined, `no answer to the module once it is off (${walk.callback})`);
        assert.equal(walk.final?.status, 403, 'refused with the page');
        assert.match(String(walk.final?.body), /is not enabled for/);
      } finally {
        await user.agent.post(`/api/company/modules/${module.module.id}`, { enabled: true });
      }
    });

    test('a session ended after the authorization gives no code: the resume sends the browser to log in for the same sign-in', async () => {
      const person = await companyUser(server, user, 'leaver');
      const leaver = server.agent();
      leaver.cookies.set('gh_session', person.agent.cookies.get('gh_session') ?? assert.fail('signed in'));
      const { uid, resumePath } = await authorize(leaver);
      assert.equal((await person.agent.post('/api/logout')).status, 200, 'the session ends elsewhere');
      const answer = await leaver.get(resumePath);
      assert.equal(codeIn(answer), null);
      assert.equal(answer.status, 303);
      assert.equal(answer.headers.get('location'), `/login?return=${encodeURIComponent(`/oidc/auth/${uid}`)}`);
    });

    test('a user deactivated after the authorization gets no code: sent to log in', async () => {
      const person = await companyUser(server, user, 'deactivated');
      const agent = server.agent();
      agent.cookies.set('gh_session', person.agent.cookies.get('gh_session') ?? assert.fail('signed in'));
      const { resumePath } = await authorize(agent);
      const me = await person.agent.get('/api/me');
      assert.equal((await user.agent.post(`/api/company/users/${me.body.user.id}/deactivate`)).status, 200);
      const walk = await followRedirects(agent, new URL(resumePath, agent.baseUrl));
      assert.equal(walk.callback, undefined, `no code for a deactivated user (${walk.callback})`);
      assert.equal(walk.at?.pathname, '/login', `sent to log in, not ${walk.at}`);
    });

    test('a HEAD of the resume spends nothing: the GET after it still gives the code', async () => {
      const agent = browser();
      const { start, resumePath } = await authorize(agent);
      for (const method of ['HEAD', 'POST']) {
        const other = await agent.request(method, resumePath);
        assert.equal(other.status, 405, `${method}: ${other.status}`);
        assert.equal(other.headers.get('allow'), 'GET');
      }
      const answer = await agent.get(resumePath);
      assert.ok(codeIn(answer), `a code after the HEAD: ${answer.status} ${answer.headers.get('location')}`);
      assert.ok((await redeem(module.config, new URL(answer.headers.get('location') ?? ''), start)).id_token);
    });

    test('the authorization stores nothing: the sign-in travels in a cookie scoped to its resume', async () => {
      const agent = browser();
      const { answer, uid, resumePath } = await authorize(agent);
      assert.equal(await interactionRow(uid), undefined, 'no row for the sign-in');
      const lines = answer.setCookies.filter((line) => line.startsWith(`${interactionCookie(uid)}=`));
      assert.deepEqual(
        lines.map((line) => /;\s*Path=([^;]+)/i.exec(line)?.[1]),
        [resumePath],
        'set for the resume only',
      );
      for (const line of lines) {
        assert.match(line, /HttpOnly/i);
        assert.match(line, /SameSite=Lax/i);
      }
      assert.doesNotMatch(decodeURIComponent(lines[0] ?? ''), /redirect_uri|client_id|openid/, 'the module request is not readable');
      // A reverse proxy refuses an upstream answer whose headers outgrow its buffer (nginx: 4 KiB by default).
      const headerBytes = [...answer.headers].reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
      assert.ok(headerBytes < 4096, `the authorization's headers fit a proxy's default buffer: ${headerBytes} bytes`);

      const resumed = await agent.get(resumePath);
      assert.ok(codeIn(resumed), `a code: ${resumed.status} ${resumed.headers.get('location')}`);
      assert.equal(agent.cookies.has(interactionCookie(uid)), false, 'the resume clears it');
      assert.notEqual((await interactionRow(uid))?.consumed_at ?? null, null, 'its uid is marked used');
    });

    test('a sign-in cookie missing, altered or taken from another sign-in finds no sign-in and gives no code', async () => {
      const otherBrowser = browser();
      const other = await authorize(otherBrowser);
      const othersCookie = otherBrowser.cookies.get(interactionCookie(other.uid)) ?? assert.fail('the other sign-in is carried');
      const tampers: Array<[string, (agent: Agent, uid: string) => void]> = [
        ['missing', (agent, uid) => agent.cookies.delete(interactionCookie(uid))],
        ['altered', (agent, uid) => alterSealed(agent, interactionCookie(uid))],
        ['another sign-in', (agent, uid) => agent.cookies.set(interactionCookie(uid), othersCookie)],
      ];
      for (const [name, tamper] of tampers) {
        const agent = browser();
        const { uid, resumePath } = await authorize(agent);
        tamper(agent, uid);
        const page = await agent.get(resumePath);
        assert.equal(codeIn(page), null, `${name}: no code`);
        assert.equal(page.status, 400, `${name}: ${page.status} ${page.headers.get('location')}`);
        assert.match(String(page.body), EXPIRED_PAGE, name);
      }
    });

    test('a sign-in carried again after its resume meets its used mark: no code', async () => {
      const agent = browser();
      const { uid, resumePath } = await authorize(agent);
      const carried = agent.cookies.get(interactionCookie(uid)) ?? assert.fail('carried');
      assert.ok(codeIn(await agent.get(resumePath)), 'the first resume gives a code');

      agent.cookies.delete(interactionCookie(uid));
      agent.cookies.store(resumePath, [`${interactionCookie(uid)}=${carried}; Path=${resumePath}`]);
      const again = await agent.get(resumePath);
      assert.equal(codeIn(again), null, `the resume: ${again.status} ${again.headers.get('location')}`);
      assert.equal(again.status, 400);
      assert.match(String(again.body), EXPIRED_PAGE);
    });

    test('a sign-in too large for a cookie is stored, finishes with a code, and only once', async () => {
      const agent = browser();
      // A long login_hint stands for any large request (a request object, claims).
      const { start, uid, answer, resumePath } = await authorize(agent, { login_hint: 'x'.repeat(4_000) });
      assert.equal(answer.setCookies.some((line) => line.startsWith(`${interactionCookie(uid)}=`)), false, 'not carried');
      const stored = await interactionRow(uid);
      assert.ok(stored && stored.consumed_at === null, 'stored as a row');
      const answers = await Promise.all([agent.get(resumePath), agent.get(resumePath)]);
      const withCode = answers.filter((candidate) => codeIn(candidate) !== null);
      assert.equal(withCode.length, 1, `one code of two racing resumes: ${answers.map((candidate) => candidate.status).join(', ')}`);
      assert.notEqual((await interactionRow(uid))?.consumed_at ?? null, null, 'marked used');
      const tokens = await redeem(module.config, new URL(withCode[0]?.headers.get('location') ?? ''), start);
      assert.ok(tokens.id_token);
    });

    test('a login page opened before the upgrade, returning to /oidc-interaction/<uid>, still finishes its sign-in', async () => {
      const agent = browser();
      const { start, uid, resumePath } = await authorize(agent);
      const carried = agent.cookies.get(interactionCookie(uid)) ?? assert.fail('carried');
      // As the previous version carried it: for its interaction route.
      agent.cookies.delete(interactionCookie(uid));
      agent.cookies.store(`/oidc-interaction/${uid}`, [`${interactionCookie(uid)}=${carried}; Path=/oidc-interaction/${uid}`]);
      const legacy = await agent.get(`/oidc-interaction/${uid}`);
      assert.equal(legacy.status, 303);
      assert.equal(legacy.headers.get('location'), resumePath);
      const answer = await agent.get(resumePath);
      assert.ok(codeIn(answer), `a code: ${answer.status} ${answer.headers.get('location')}`);
      assert.ok((await redeem(module.config, new URL(answer.headers.get('location') ?? ''), start)).id_token);
    });
  });
}

/**
 * Alters a sealed cookie: the first character of its sealed part (the nonce's first bits).
 * Not the last character: base64url's last character can carry unused bits, so changing
 * it can leave the bytes as they were.
 */
function alterSealed(agent: Agent, name: string) {
  const value = agent.cookies.get(name) ?? '';
  const at = value.lastIndexOf('.') + 1;
  const altered = value[at] === 'A' ? 'B' : 'A';
  agent.cookies.set(name, value.slice(0, at) + altered + value.slice(at + 1));
}

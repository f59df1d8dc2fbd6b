// The end of a module sign-in: Gatehouse's interaction route hands the result (who signed
// in, how, when) to the provider's resume (/oidc/auth/:uid) in a sealed cookie bound to the
// interaction (src/modules/oidc/interaction-result.ts), and the resume is good once.
// - Two resumes racing, as a double click or a replayed request would, give one code: the
//   other gets an error page, no code and no session cookie, and only one launch is
//   audited (write-batch.ts: the resume's writes are stored only if its delete of the
//   interaction found it).
// - What an attacker holding the browser's other cookies can try with the result: no
//   cookie, an altered one, one sealed for another sign-in, or the same one again after
//   the resume. None gives a code; the honest path does, once.
// - The sign-in itself travels in the browser too (src/modules/oidc/carried-interaction.ts):
//   the authorization stores nothing, its cookie is scoped to the sign-in's two paths, and
//   the same four tries against it (missing, altered, another sign-in's, again after the
//   resume), at the interaction route and at the resume, find no sign-in. One too large for a cookie is stored and still good once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { followRedirects, grantedModule, redeem, REDIRECT_URI, rootWithGrantedModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const RESULT_COOKIE = 'gh_oidc_result';
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

    /** A browser signed in to Gatehouse with no provider session yet: each module request of it goes through the interaction route. */
    function browser(): Agent {
      const agent = server.agent();
      agent.cookies.set('gh_session', user.agent.cookies.get('gh_session') ?? assert.fail('signed in'));
      return agent;
    }

    /** A module's request up to the interaction route's answer: the resume's URL and the sealed result it set. */
    async function throughInteraction(agent: Agent) {
      const start = await startAuthorization(module.config);
      const authorize = await agent.get(start.url.pathname + start.url.search);
      assert.equal(authorize.status, 303);
      const interaction = await agent.get(new URL(authorize.headers.get('location') ?? '', start.url).pathname);
      assert.equal(interaction.status, 303, `the interaction route answered ${interaction.status}`);
      const setCookie = interaction.setCookies.find((line) => line.startsWith(`${RESULT_COOKIE}=`));
      assert.ok(setCookie, 'the interaction route sets the result cookie');
      assert.match(setCookie, /HttpOnly/i);
      assert.match(setCookie, /SameSite=Lax/i);
      const sealed = agent.cookies.get(RESULT_COOKIE);
      assert.ok(sealed);
      return { start, resume: new URL(interaction.headers.get('location') ?? '', start.url), sealed };
    }

    /** A module's request up to the interaction route's address: the sign-in's uid, nothing more. */
    async function authorize(agent: Agent, extra: Record<string, string> = {}) {
      const start = await startAuthorization(module.config, extra);
      const answer = await agent.get(start.url.pathname + start.url.search);
      assert.equal(answer.status, 303);
      const interactionPath = new URL(answer.headers.get('location') ?? '', start.url).pathname;
      const uid = /^\/oidc-interaction\/([\w-]+)$/.exec(interactionPath)?.[1] ?? assert.fail(`the interaction route, got ${interactionPath}`);
      return { start, answer, uid, interactionPath };
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
      const { start, resume } = await throughInteraction(agent);
      assert.match(resume.pathname, /^\/oidc\/auth\/[\w-]+$/);
      const launchesBefore = await launches();

      const answers = await Promise.all([agent.get(resume.pathname), agent.get(resume.pathname)]);

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

    test('the honest path: the resume reads the result, answers with a code and clears the cookie', async () => {
      const agent = browser();
      const { start, resume } = await throughInteraction(agent);
      const answer = await agent.get(resume.pathname);
      const code = codeIn(answer);
      assert.ok(code, `a code, got ${answer.status} ${answer.headers.get('location')}`);
      assert.equal(agent.cookies.has(RESULT_COOKIE), false, 'the cookie is cleared');
      const tokens = await redeem(module.config, new URL(answer.headers.get('location') ?? ''), start);
      assert.ok(tokens.id_token);
    });

    test('a module switched off between the interaction route and the resume gives no code: the resume decides again', async () => {
      // The route found the session good and the module on; the resume reads both again.
      const agent = browser();
      const { resume } = await throughInteraction(agent);
      assert.match(resume.pathname, /^\/oidc\/auth\//, 'on to the provider to finish');
      const off = await user.agent.post(`/api/company/modules/${module.module.id}`, { enabled: false });
      assert.equal(off.status, 200);
      try {
        const walk = await followRedirects(agent, resume);
        assert.equal(walk.callback, undefined, `no answer to the module once it is off (${walk.callback})`);
        assert.equal(walk.final?.status, 403, 'refused with the page');
        assert.match(String(walk.final?.body), /is not enabled for/);
      } finally {
        await user.agent.post(`/api/company/modules/${module.module.id}`, { enabled: true });
      }
    });

    test('without the cookie, or with it altered, the resume gives no code and asks again', async () => {
      for (const tamper of [(agent: Agent) => agent.cookies.delete(RESULT_COOKIE), alterSealed]) {
        const agent = browser();
        const { resume } = await throughInteraction(agent);
        tamper(agent);
        const answer = await agent.get(resume.pathname);
        assert.equal(codeIn(answer), null, `no code: ${answer.status} ${answer.headers.get('location')}`);
        assert.ok(answer.status < 500, `not a server error: ${answer.status}`);
        assert.match(answer.headers.get('location') ?? '', /^\/oidc-interaction\//, 'back to the interaction route');
      }
    });

    test('a result sealed for one sign-in does not finish another; it still finishes its own, once', async () => {
      // Two sign-ins in one browser, each through its interaction route.
      const agent = browser();
      const first = await throughInteraction(agent);
      // The provider's own resume cookies are scoped to each sign-in's path; this agent
      // keeps one of each name, so the first's are put back before its own resume.
      const firstResumeCookies = [...agent.cookies].filter(([name]) => name.startsWith('_interaction'));
      const second = await throughInteraction(agent);
      // The second sign-in's resume, carrying the first's result.
      agent.cookies.set(RESULT_COOKIE, first.sealed);
      const crossed = await agent.get(second.resume.pathname);
      assert.equal(codeIn(crossed), null, `no code for the other sign-in: ${crossed.status} ${crossed.headers.get('location')}`);

      agent.cookies.set(RESULT_COOKIE, first.sealed);
      for (const [name, value] of firstResumeCookies) agent.cookies.set(name, value);
      const own = await agent.get(first.resume.pathname);
      assert.ok(codeIn(own), `its own sign-in finishes: ${own.status} ${own.headers.get('location')}`);

      // The same result again: the interaction is gone.
      agent.cookies.set(RESULT_COOKIE, first.sealed);
      for (const [name, value] of firstResumeCookies) agent.cookies.set(name, value);
      const again = await agent.get(first.resume.pathname);
      assert.equal(codeIn(again), null, `replayed: ${again.status} ${again.headers.get('location')}`);
      assert.ok(again.status >= 400 && again.status < 500, `refused, not a server error: ${again.status}`);
    });

    test('the authorization stores nothing: the sign-in travels in a cookie scoped to its own paths', async () => {
      const agent = browser();
      const { answer, uid, interactionPath } = await authorize(agent);
      assert.equal(await interactionRow(uid), undefined, 'no row for the sign-in');
      const linesOf = (setCookies: string[]) => setCookies.filter((line) => line.startsWith(`${interactionCookie(uid)}=`));
      const pathsOf = (lines: string[]) => lines.map((line) => /;\s*Path=([^;]+)/i.exec(line)?.[1]);
      const lines = linesOf(answer.setCookies);
      assert.deepEqual(pathsOf(lines), [interactionPath], 'set for the interaction route only');
      for (const line of lines) {
        assert.match(line, /HttpOnly/i);
        assert.match(line, /SameSite=Lax/i);
      }
      assert.doesNotMatch(decodeURIComponent(lines[0] ?? ''), /redirect_uri|client_id|openid/, 'the module request is not readable');
      // A reverse proxy refuses an upstream answer whose headers outgrow its buffer (nginx: 4 KiB by default).
      const headerBytes = [...answer.headers].reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
      assert.ok(headerBytes < 4096, `the authorization's headers fit a proxy's default buffer: ${headerBytes} bytes`);

      const interaction = await agent.get(interactionPath);
      assert.equal(interaction.status, 303, `the interaction route finds it: ${interaction.status}`);
      const forwarded = linesOf(interaction.setCookies);
      assert.deepEqual(pathsOf(forwarded), [`/oidc/auth/${uid}`], 'sent on for the resume only');
      const interactionBytes = [...interaction.headers].reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
      assert.ok(interactionBytes < 4096, `the interaction route's headers (the result and the sign-in) fit too: ${interactionBytes} bytes`);
      const resumed = await agent.get(new URL(interaction.headers.get('location') ?? '', agent.baseUrl).pathname);
      assert.ok(codeIn(resumed), `a code: ${resumed.status} ${resumed.headers.get('location')}`);
      assert.equal(agent.cookies.has(interactionCookie(uid)), false, 'the resume clears it');
      assert.notEqual((await interactionRow(uid))?.consumed_at ?? null, null, 'its uid is marked used');
    });

    test('a sign-in cookie missing, altered or taken from another sign-in finds no sign-in', async () => {
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
        const { uid, interactionPath } = await authorize(agent);
        tamper(agent, uid);
        const page = await agent.get(interactionPath);
        assert.equal(page.status, 400, `${name}: ${page.status} ${page.headers.get('location')}`);
        assert.match(String(page.body), EXPIRED_PAGE, name);
        assert.equal(agent.cookies.has(RESULT_COOKIE), false, `${name}: no result sealed`);
      }
    });

    test('at the resume too, a sign-in cookie missing, altered or taken from another sign-in gives no code', async () => {
      const otherBrowser = browser();
      const other = await authorize(otherBrowser);
      await throughInteractionAt(otherBrowser, other.interactionPath);
      const othersCookie = otherBrowser.cookies.get(interactionCookie(other.uid)) ?? assert.fail('the other sign-in is carried to its resume');
      const tampers: Array<[string, (agent: Agent, uid: string) => void]> = [
        ['missing', (agent, uid) => agent.cookies.delete(interactionCookie(uid))],
        ['altered', (agent, uid) => alterSealed(agent, interactionCookie(uid))],
        ['another sign-in', (agent, uid) => agent.cookies.set(interactionCookie(uid), othersCookie)],
      ];
      for (const [name, tamper] of tampers) {
        const agent = browser();
        const { uid, interactionPath } = await authorize(agent);
        // The interaction route passes (its copy is good) and sends the sign-in on; the copy for the resume is then tampered with.
        const { resume } = await throughInteractionAt(agent, interactionPath);
        tamper(agent, uid);
        const answer = await agent.get(resume.pathname);
        assert.equal(codeIn(answer), null, `${name}: no code, got ${answer.status} ${answer.headers.get('location')}`);
        assert.ok(answer.status < 500, `${name}: not a server error: ${answer.status}`);
      }
    });

    test('a sign-in carried again after its resume meets its used mark: no code, at the interaction route or the resume', async () => {
      const agent = browser();
      const { uid, interactionPath } = await authorize(agent);
      const carriedCookies = [...agent.cookies].filter(([name]) => name === interactionCookie(uid) || name.startsWith('_interaction'));
      const { resume, sealed } = await throughInteractionAt(agent, interactionPath);
      assert.ok(codeIn(await agent.get(resume.pathname)), 'the first resume gives a code');

      for (const [name, value] of carriedCookies) agent.cookies.set(name, value);
      const page = await agent.get(interactionPath);
      assert.equal(page.status, 400, `the interaction route: ${page.status} ${page.headers.get('location')}`);
      assert.match(String(page.body), EXPIRED_PAGE);

      agent.cookies.set(RESULT_COOKIE, sealed);
      const again = await agent.get(resume.pathname);
      assert.equal(codeIn(again), null, `the resume: ${again.status} ${again.headers.get('location')}`);
      assert.ok(again.status >= 400 && again.status < 500, `refused, not a server error: ${again.status}`);
    });

    test('a sign-in too large for a cookie is stored, finishes with a code, and only once', async () => {
      const agent = browser();
      // A long login_hint stands for any large request (a request object, claims).
      const { start, uid, answer, interactionPath } = await authorize(agent, { login_hint: 'x'.repeat(4_000) });
      assert.equal(answer.setCookies.some((line) => line.startsWith(`${interactionCookie(uid)}=`)), false, 'not carried');
      const stored = await interactionRow(uid);
      assert.ok(stored && stored.consumed_at === null, 'stored as a row');
      const { resume } = await throughInteractionAt(agent, interactionPath);
      const answers = await Promise.all([agent.get(resume.pathname), agent.get(resume.pathname)]);
      const withCode = answers.filter((candidate) => codeIn(candidate) !== null);
      assert.equal(withCode.length, 1, `one code of two racing resumes: ${answers.map((candidate) => candidate.status).join(', ')}`);
      assert.notEqual((await interactionRow(uid))?.consumed_at ?? null, null, 'marked used');
      const tokens = await redeem(module.config, new URL(withCode[0]?.headers.get('location') ?? ''), start);
      assert.ok(tokens.id_token);
    });

    /** The interaction route of a sign-in already authorized: the resume's URL and the sealed result it set. */
    async function throughInteractionAt(agent: Agent, interactionPath: string) {
      const interaction = await agent.get(interactionPath);
      assert.equal(interaction.status, 303, `the interaction route answered ${interaction.status}`);
      return { resume: new URL(interaction.headers.get('location') ?? '', agent.baseUrl), sealed: agent.cookies.get(RESULT_COOKIE) ?? assert.fail('a result') };
    }
  });
}

/**
 * Alters a sealed cookie: the first character of its sealed part (the nonce's first bits).
 * Not the last character: base64url's last character can carry unused bits, so changing
 * it can leave the bytes as they were.
 */
function alterSealed(agent: Agent, name = RESULT_COOKIE) {
  const value = agent.cookies.get(name) ?? '';
  const at = value.lastIndexOf('.') + 1;
  const altered = value[at] === 'A' ? 'B' : 'A';
  agent.cookies.set(name, value.slice(0, at) + altered + value.slice(at + 1));
}

// Every module sign-in on a live Gatehouse session writes a grant, a code and a
// `module.launched` event, and costs the signed-in user nothing: a script following the
// redirects could write them at request speed, for good, into its company's trail. They are
// counted per user (moduleSignIns, src/shared/signed-in-writes.ts): past the cap the module
// hears temporarily_unavailable (RFC 6749 4.1.2.1), with no code and nothing of the sign-in
// written. Another user is not held; a login made for the sign-in is held by the login's
// own caps, not this one; the window after the next lets the user through again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SIGNED_IN_WRITE_CAPS, spendModuleSignIn } from '../../src/shared/signed-in-writes.ts';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { companyUser, followRedirects, grantedModule, redeem, REDIRECT_URI, rootWithGrantedModule, startAuthorization, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';

const { limit, windowMs } = SIGNED_IN_WRITE_CAPS.moduleSignIns;
/** A silent sign-in and one that may show pages. */
const BOTH_KINDS: Record<string, string>[] = [{ prompt: 'none' }, {}];

for (const engine of await enginesUnderTest()) describe(`module sign-ins on a live session are capped per user (${engine})`, () => {
  let server: TestServer;
  let root: Person;
  let module: Awaited<ReturnType<typeof grantedModule>>;
  let otherModule: Awaited<ReturnType<typeof grantedModule>>;
  before(async () => {
    server = await startTestServer({ engine });
    const started = await rootWithGrantedModule(server);
    ({ root, module } = started);
    otherModule = await grantedModule(server, started.operator.agent, root.companyId, { name: `Other ${engine}` });
  });
  after(() => server.close());

  const db = () => server.gatehouse.deps.db;
  const userIdOf = async (person: Person) =>
    (await db().selectFrom('users').select('id').where('company_id', '=', person.companyId).where('username', '=', person.username).executeTakeFirstOrThrow()).id;
  const count = async (table: 'audit_events', action: string, actorId: string) =>
    Number((await db().selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', action).where('actor_id', '=', actorId).executeTakeFirstOrThrow()).n);
  const grants = async () => Number((await db().selectFrom('oidc_records').select((eb) => eb.fn.countAll<number>().as('n')).where('model', '=', 'Grant').executeTakeFirstOrThrow()).n);

  /** A sign-in from the browser, followed to the module's redirect URI: its code or its error. */
  async function signIn(agent: Agent, extra: Record<string, string> = {}, to = module) {
    const start = await startAuthorization(to.config, extra);
    const walk = await followRedirects(agent, start.url);
    const callback = walk.callback ?? assert.fail(`the sign-in stopped at ${walk.at} (${walk.final?.status})`);
    assert.equal(`${callback.origin}${callback.pathname}`, REDIRECT_URI);
    assert.equal(callback.searchParams.get('state'), start.state);
    return { start, callback, code: callback.searchParams.get('code'), error: callback.searchParams.get('error') };
  }

  test('past the cap the module hears temporarily_unavailable, nothing of the sign-in is written, and each refusal is in the trail', async () => {
    const person = await companyUser(server, root, `capped-${engine}`);
    const userId = await userIdOf(person);
    // The user's earlier launches in this window: all but the last two slots.
    for (let i = 0; i < limit - 2; i++) assert.ok(await spendModuleSignIn(db(), userId, server.clock()));
    // The two left are real sign-ins, silent and not: each gets its code and its event.
    for (const extra of BOTH_KINDS) {
      const { start, callback, code } = await signIn(person.agent, extra);
      assert.ok(code, `${JSON.stringify(extra)}: ${callback.searchParams.get('error_description')}`);
      assert.equal((await redeem(module.config, callback, start)).claims()?.preferred_username, person.username);
    }
    assert.equal(await count('audit_events', 'module.launched', userId), 2);

    const grantsBefore = await grants();
    for (const extra of BOTH_KINDS) {
      const { callback, code, error } = await signIn(person.agent, extra);
      assert.equal(code, null, 'never a code past the cap');
      assert.equal(error, 'temporarily_unavailable', `${JSON.stringify(extra)}: ${callback.searchParams.get('error_description')}`);
      assert.match(callback.searchParams.get('error_description') ?? '', /too many sign-ins/);
    }
    // Every module together: another module the user has not signed in to is held too.
    assert.equal((await signIn(person.agent, { prompt: 'none' }, otherModule)).error, 'temporarily_unavailable', 'the cap is across modules');
    assert.equal(await grants(), grantsBefore, 'no grant was written past the cap');
    assert.equal(await count('audit_events', 'module.launched', userId), 2, 'no launch event past the cap');
    assert.equal(await count('audit_events', 'module.sign_in_refused', userId), 3, 'each refusal is in the trail (under the refusals cap)');
    const me = await person.agent.get('/api/me');
    assert.equal(me.status, 200, 'the session itself is untouched');

    // Another user of the same company is not held.
    const other = await companyUser(server, root, `uncapped-${engine}`);
    assert.ok((await signIn(other.agent, { prompt: 'none' })).code, 'the cap is per user');

    // At most `limit` in any window: the sign-ins of a full window still count through the next.
    server.clock.advance(windowMs);
    assert.equal((await signIn(person.agent, { prompt: 'none' })).error, 'temporarily_unavailable');
    server.clock.advance(windowMs);
    assert.ok((await signIn(person.agent, { prompt: 'none' })).code, 'the window after the next lets the user through');
  });

  test('a login made for the sign-in is not counted: past the cap, logging in again (prompt=login) still reaches the module', async () => {
    const person = await companyUser(server, root, `relogin-${engine}`);
    const userId = await userIdOf(person);
    for (let i = 0; i < limit; i++) assert.ok(await spendModuleSignIn(db(), userId, server.clock()));
    assert.equal((await signIn(person.agent, { prompt: 'none' })).error, 'temporarily_unavailable');

    const start = await startAuthorization(module.config, { prompt: 'login' });
    const walk = await followRedirects(person.agent, start.url);
    assert.equal(walk.at?.pathname, '/login', 'sent to log in again');
    const returnTo = walk.at.searchParams.get('return') ?? '';
    assert.equal((await person.agent.post('/api/login/identify', { username: person.username, companyName: person.companyName, returnTo })).status, 200);
    assert.equal((await person.agent.post('/api/login/password', { password: STRONG_PASSWORD })).body.step, 'totp');
    server.clock.advance(30_000); // the code of the next step: the first login used this one
    const done = await person.agent.post('/api/login/totp', { code: totpAt(person.totpSecret, server.clock()) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const back = await followRedirects(person.agent, returnTo);
    const code = back.callback?.searchParams.get('code');
    assert.ok(code, `the login finished the sign-in: ${back.callback?.searchParams.get('error') ?? back.final?.status}`);
    assert.equal((await redeem(module.config, back.callback as URL, start)).claims()?.preferred_username, person.username);
  });
});

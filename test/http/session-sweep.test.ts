// Sessions were deleted only when next used past their limits or when someone ended them:
// every session whose browser never came back stayed in the database for good, and a user
// could hold any number at once. The node's clean-up pass (the back-channel worker's) now
// deletes the sessions past their expiry, and ends each user's sessions beyond the newest
// SESSIONS_PER_USER as a Master ending them would (in the trail as `session.ended`, reason
// `session_limit`); the user's newest sessions, and everyone else's, go on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../src/crypto/index.ts';
import { createSession } from '../../src/sessions/index.ts';
import { SESSIONS_PER_USER } from '../../src/users/index.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';

const HOUR_MS = 3_600_000;
/** The back-channel worker sweeps at most every ten minutes (its clean-up). */
const SWEEP_EVERY_MS = 10 * 60_000;

for (const engine of await enginesUnderTest()) describe(`the clean-up pass ends expired sessions and those beyond a user's total (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine, quietWorkers: true });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Sweep Co', emailDomain: 'sweep.test' });
  });
  after(() => server.close());

  const db = () => server.gatehouse.deps.db;
  /** One clean-up pass, due: the clock moved past the worker's sweep interval first. */
  const cleanUp = async () => {
    server.clock.advance(SWEEP_EVERY_MS);
    await server.gatehouse.oidc.backchannel.runOnce();
  };
  const userOf = async (who: { companyId: string; username: string }) =>
    (await db().selectFrom('users').select('id').where('company_id', '=', who.companyId).where('username', '=', who.username).executeTakeFirstOrThrow()).id;
  const sessionsOf = async (companyId: string, userId: string) =>
    (await db().selectFrom('sessions').select('id_hash').where('company_id', '=', companyId).where('user_id', '=', userId).execute()).map((row) => row.id_hash);

  test('a session past its expiry is deleted though its browser never came back; a live one stays', async () => {
    const gone = await tenants.member();
    const goneId = await userOf(gone);
    assert.equal((await sessionsOf(gone.companyId, goneId)).length, 1);
    server.clock.advance(12 * HOUR_MS); // the default absolute limit: the session is over
    const live = await tenants.member();
    const liveId = await userOf(live);

    await cleanUp();
    assert.deepEqual(await sessionsOf(gone.companyId, goneId), [], 'the abandoned session is gone');
    assert.equal((await sessionsOf(live.companyId, liveId)).length, 1, 'a live session stays');
    assert.equal((await live.agent.get('/api/me')).status, 200);
    assert.equal((await gone.agent.get('/api/me')).status, 401);
  });

  test(`beyond ${SESSIONS_PER_USER} sessions a user's oldest end, as ended by a Master: in the trail, and the newest go on`, async () => {
    const person = await tenants.member(); // their oldest session, on person.agent
    const userId = await userOf(person);
    const [oldest] = await sessionsOf(person.companyId, userId);
    assert.ok(oldest);
    const other = await tenants.member();
    const otherId = await userOf(other);
    // Their later logins, in other browsers: one over the total, each newer than the last.
    const newer: string[] = [];
    for (let i = 0; i < SESSIONS_PER_USER; i++) {
      server.clock.advance(1000);
      newer.push(hashToken(await createSession(db(), { companyId: person.companyId, userId, amr: ['pwd', 'otp'], ip: '127.0.0.1', userAgent: 'test' }, server.clock())));
    }
    assert.equal((await sessionsOf(person.companyId, userId)).length, SESSIONS_PER_USER + 1);

    await cleanUp();
    assert.equal((await person.agent.get('/api/me')).status, 401, 'the oldest session ended');
    assert.deepEqual((await sessionsOf(person.companyId, userId)).sort(), [...newer].sort(), 'the newest stay');
    assert.equal((await other.agent.get('/api/me')).status, 200, "another user's session goes on");
    assert.equal((await sessionsOf(other.companyId, otherId)).length, 1);
    const ended = await db().selectFrom('audit_events').select(['actor_id', 'detail']).where('action', '=', 'session.ended').where('target', '=', userId).execute();
    assert.equal(ended.length, 1, 'one session.ended for the one session ended');
    assert.equal(ended[0]?.actor_id, null, 'ended by Gatehouse, not by a person');
    assert.deepEqual(JSON.parse(ended[0]?.detail ?? '{}'), { reason: 'session_limit', session: oldest.slice(0, 16), limit: SESSIONS_PER_USER });

    await cleanUp();
    assert.equal((await sessionsOf(person.companyId, userId)).length, SESSIONS_PER_USER, 'a user at the total is left as they are');
    assert.equal((await db().selectFrom('audit_events').select('id').where('action', '=', 'session.ended').where('target', '=', userId).execute()).length, 1);
  });
});

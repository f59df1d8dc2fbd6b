// A login request that dies between counting itself in flight on its flow and its answer
// (a killed process) leaves the flow's count raised. Before, the flow then answered every
// later refused code or key answer 409 login.attempt_in_progress ("try again", counted
// against nothing) until it expired, 10 minutes on. Now a count only means "in flight"
// while it is recent (IN_FLIGHT_STALE_MS from when it started): a fresh one still gets the
// twin's answer, an older one is none, and the user's next attempts are treated as any
// other. The dead request is written into the database as it would have left it; the test
// clock is moved past the bound.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../src/crypto/index.ts';
import { IN_FLIGHT_STALE_MS } from '../../src/login/flows.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { pastPassword, signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { SoftAuthenticator } from '../helpers/webauthn.ts';

const WRONG_RECOVERY_CODE = 'aaaa-aaaa-aa';

for (const engine of await enginesUnderTest()) describe(`a dead login request's count of requests in flight (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ engine });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Stale Twins Co', emailDomain: 'stale-twins.test' });
  });
  after(() => server.close());

  const db = () => server.gatehouse.deps.db;
  type Member = Awaited<ReturnType<typeof tenants.member>>;

  async function atCodeStep(user: Member) {
    const { agent } = await pastPassword(server, user);
    // The stored flow is named by its cookie's token, hashed.
    return { agent, flowHash: hashToken(agent.cookies.get('gh_flow') as string) };
  }

  /** What a request counted in flight leaves on its flow when its process dies before it answers. */
  async function diedInFlight(flowHash: string) {
    const counted = await db().updateTable('login_flows').set({ attempts_in_flight: 1, in_flight_since: server.clock() }).where('id_hash', '=', flowHash).executeTakeFirst();
    assert.equal(Number(counted.numUpdatedRows), 1);
  }

  const flowRow = async (flowHash: string) => ({
    ...(await db().selectFrom('login_flows').select(['totp_failures', 'attempts_in_flight']).where('id_hash', '=', flowHash).executeTakeFirstOrThrow()),
  });

  test('the dead request held the last attempt slot: a wrong code is "try again" while its count is fresh, then counted as a wrong code', async () => {
    const user = await tenants.member();
    // Four wrong codes in another login; the dead request took the fifth, last, slot.
    const other = await atCodeStep(user);
    for (let i = 0; i < 4; i++) assert.equal((await other.agent.post('/api/login/recovery', { code: WRONG_RECOVERY_CODE })).status, 401);
    const { agent, flowHash } = await atCodeStep(user);
    await db().updateTable('users').set({ failed_logins: 5 }).where('company_id', '=', user.companyId).where('username', '=', user.username).execute();
    await diedInFlight(flowHash);

    const fresh = await agent.post('/api/login/recovery', { code: WRONG_RECOVERY_CODE });
    assert.equal(fresh.body.error?.code, 'login.attempt_in_progress', 'a count this fresh is a twin in flight, as far as anyone can tell');

    server.clock.advance(IN_FLIGHT_STALE_MS);
    const later = await agent.post('/api/login/recovery', { code: WRONG_RECOVERY_CODE });
    assert.equal(later.status, 429, JSON.stringify(later.body));
    assert.equal(later.body.error?.code, 'account.locked', 'a wrong code, counted: the account over its threshold locks, and the answer says so');
    assert.equal((await flowRow(flowHash)).totp_failures, 1, 'and counted against the flow');
    const locked = await db().selectFrom('users').select('locked_until').where('company_id', '=', user.companyId).where('username', '=', user.username).executeTakeFirstOrThrow();
    assert.ok(locked.locked_until !== null, 'the account over its threshold is locked');
  });

  test('the dead request took the key\'s challenge: retries get "try again" only while its count is fresh (retrying does not keep it so), then the usual refusal, and the key signs in', async () => {
    const user = await tenants.member();
    const key = new SoftAuthenticator(server.baseUrl);
    const options = await user.agent.post('/api/me/security-keys/options', { password: user.password });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    assert.equal((await user.agent.post('/api/me/security-keys', { name: 'Desk key', response: key.register(options.body) })).status, 200);
    const { agent, flowHash } = await atCodeStep(user);
    const challenge = await agent.post('/api/login/key/options');
    assert.equal(challenge.status, 200, JSON.stringify(challenge.body));
    const answer = { response: key.assert(challenge.body) };
    // The dead request took the challenge (single use) and was counted in the same statement.
    await db().deleteFrom('webauthn_challenges').where('binding_hash', '=', flowHash).execute();
    await diedInFlight(flowHash);

    assert.equal((await agent.post('/api/login/key', answer)).body.error?.code, 'login.attempt_in_progress');
    server.clock.advance(IN_FLIGHT_STALE_MS - 1_000);
    assert.equal((await agent.post('/api/login/key', answer)).body.error?.code, 'login.attempt_in_progress', 'still within the bound from when the count started');
    server.clock.advance(1_000);
    const refused = await agent.post('/api/login/key', answer);
    assert.equal(refused.body.error?.code, 'webauthn.not_accepted', 'the refusal every answer without a challenge gets');
    assert.deepEqual(await flowRow(flowHash), { totp_failures: 1, attempts_in_flight: 0 }, 'counted against the flow; the stale count started over and was answered for');

    const again = await agent.post('/api/login/key/options');
    assert.equal(again.status, 200, JSON.stringify(again.body));
    const signedIn = await agent.post('/api/login/key', { response: key.assert(again.body) });
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    assert.equal(signedIn.body.step, 'done');
    assert.equal((await agent.get('/api/me')).status, 200);
  });
});

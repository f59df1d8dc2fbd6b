// Every failure of the password step waits the same floor (ANSWER_FLOOR_MS) before its
// 401: a real user's wrong password commits more than an unknown name's (its
// attempt held before the hash, its failure after), a lock more again, so without the
// floor the answer's time would tell that the user exists. Tests hold no stopwatch to
// compare two answers: each failure is checked against the floor as a lower bound,
// measured from before the request was sent (the server is in this process, on the same
// monotonic clock), which no load can break. (That the right password and a throttled
// network are not held back is not timed here: the floor wraps only the 401 failure.)
// The forgot-password and forgot-company answers wait the same floor, mail or none.
// (Other tests' servers wait none: they fail passwords by the hundred without measuring.)
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { ANSWER_FLOOR_MS } from '../../src/shared/answer-floor.ts';
import type { Agent } from '../helpers/agent.ts';
import { dbOf, invitedMember } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';

const WRONG = 'Wrong-Password-9!';
const THRESHOLD = 5; // the default policy's lockout threshold

for (const engine of await enginesUnderTest()) describe(`every failure of the password step answers no sooner than the floor (${engine})`, () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    // Behind a trusted proxy, so each attempt comes from its own address (the per-address
    // throttle is not what is under test, except where a test names one address).
    server = await startTestServer({ engine, env: { GATEHOUSE_TRUST_PROXY: '1' }, answerFloorMs: ANSWER_FLOOR_MS });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Floor Co', emailDomain: 'floor.test' });
  });
  after(() => server.close());

  let n = 0;
  const anAddress = () => ((n += 1), `198.18.${n >> 8}.${n & 255}`);
  type Who = { username: string; companyName: string };

  /** Identify from `address`; the agent then stands at the password step (or at 'sso', for a company with a provider). */
  async function identified(who: Who, address = anAddress()) {
    const agent = server.agent();
    const answer = await agent.post('/api/login/identify', who, { 'x-forwarded-for': address });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return { agent, address, step: answer.body.step as string };
  }

  /** The password step, timed from before the request is sent. */
  async function timedPassword({ agent, address }: { agent: Agent; address: string }, password: string) {
    const started = performance.now();
    const answer = await agent.post('/api/login/password', { password }, { 'x-forwarded-for': address });
    return { answer, ms: performance.now() - started };
  }

  async function passwordStep(who: Who, password: string) {
    return timedPassword(await identified(who), password);
  }

  /** The 401 every failure gets, no sooner than the floor; `reason` (the trail's) says which failure it was. */
  async function failedAfterFloor(reason: string, { answer, ms }: Awaited<ReturnType<typeof timedPassword>>) {
    assert.deepEqual({ status: answer.status, code: answer.body?.error?.code }, { status: 401, code: 'login.invalid_credentials' }, reason);
    const event = await dbOf(server).selectFrom('audit_events').select('detail').where('action', '=', 'login.failed').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    assert.equal(JSON.parse(event.detail ?? '{}').reason, reason);
    assert.ok(ms >= ANSWER_FLOOR_MS, `${reason}: answered after ${ms.toFixed(1)} ms, before the ${ANSWER_FLOOR_MS} ms floor`);
  }

  /** The company signs in only through its provider, switched on (the rows the SSO settings would write). */
  async function ssoOnly(companyId: string) {
    const now = server.clock();
    await dbOf(server)
      .insertInto('sso_providers')
      .values({
        id: randomUUID(), company_id: companyId, kind: 'saml', name: 'Floor IdP', enabled: 1, saml_entity_id: 'https://idp.floor.test', saml_sso_url: 'https://idp.floor.test/sso',
        saml_certs: '[]', oidc_issuer: null, oidc_client_id: null, oidc_client_secret: null, username_attribute: 'NameID', groups_attribute: null, trust_provider_mfa: 0,
        tested_at: now, created_at: now, updated_at: now,
      })
      .execute();
    await dbOf(server).updateTable('companies').set({ sso_mode: 'sso-only' }).where('id', '=', companyId).execute();
  }

  test('a wrong password, an unknown user, an unknown company, neither', async () => {
    const who = await tenants.signedUp();
    await failedAfterFloor('wrong_password', await passwordStep(who, WRONG));
    await failedAfterFloor('unknown_user', await passwordStep({ ...who, username: 'nobody-here' }, WRONG));
    await failedAfterFloor('unknown_user', await passwordStep({ ...who, companyName: 'No Such Company Anywhere' }, WRONG));
    await failedAfterFloor('unknown_user', await passwordStep({ username: 'nobody-here', companyName: 'No Such Company Anywhere' }, who.password));
  });

  test('the failure that locks, a locked account, and one whose attempt slots are all held', async () => {
    const locking = await tenants.signedUp();
    for (let i = 1; i < THRESHOLD; i += 1) await failedAfterFloor('wrong_password', await passwordStep(locking, WRONG));
    await failedAfterFloor('wrong_password_locked', await passwordStep(locking, WRONG));
    await failedAfterFloor('locked', await passwordStep(locking, locking.password));

    const holding = await tenants.signedUp();
    for (let i = 1; i < THRESHOLD; i += 1) await passwordStep(holding, WRONG);
    // Right, and abandoned: its hold takes the last slot until it lapses (attempt-holds.test.ts).
    assert.equal((await passwordStep(holding, holding.password)).answer.status, 200);
    await failedAfterFloor('slots_held', await passwordStep(holding, holding.password));
  });

  test('the right password of a disabled user, and of a suspended company', async () => {
    const disabled = await tenants.signedUp();
    await dbOf(server).updateTable('users').set({ status: 'disabled' }).where('company_id', '=', disabled.companyId).where('username', '=', disabled.username).execute();
    await failedAfterFloor('user_disabled', await passwordStep(disabled, disabled.password));
    const suspended = await tenants.signedUp();
    await dbOf(server).updateTable('companies').set({ status: 'suspended' }).where('id', '=', suspended.companyId).execute();
    await failedAfterFloor('company_suspended', await passwordStep(suspended, suspended.password));
  });

  test("an identify cookie replayed once its login went on (the twin's answer)", async () => {
    const who = await tenants.signedUp();
    const first = await identified(who);
    const cookie = first.agent.cookies.get('gh_flow') as string;
    assert.equal((await timedPassword(first, who.password)).answer.status, 200);
    const twin = server.agent();
    twin.cookies.set('gh_flow', cookie);
    await failedAfterFloor('replayed_flow', await timedPassword({ agent: twin, address: anAddress() }, who.password));
  });

  test("'Use password instead' at a company with single sign-on: sso-only, and a wrong password", async () => {
    const company = await tenants.member();
    const root = { id: '', username: company.username, agent: company.agent, totpSecret: company.totpSecret };
    const user = await invitedMember(server, { companyId: company.companyId, companyName: company.companyName, root }, company.agent, { username: 'floor-user', role: 'user' });
    await ssoOnly(company.companyId);
    const afterProviderStep = async (who: Who, password: string) => {
      const at = await identified(who);
      assert.equal(at.step, 'sso');
      assert.equal((await at.agent.post('/api/login/sso/password', {}, { 'x-forwarded-for': at.address })).status, 200);
      return timedPassword(at, password);
    };
    const who = (username: string) => ({ username, companyName: company.companyName });
    await failedAfterFloor('sso_only', await afterProviderStep(who(user.username), STRONG_PASSWORD));
    // The Root Master may always use the password (a stored flow, not a pending one).
    await failedAfterFloor('wrong_password', await afterProviderStep(who(company.username), WRONG));
    await failedAfterFloor('unknown_user', await afterProviderStep(who('nobody-here'), WRONG));
  });

  /** A recovery request, timed from before it is sent: the one answer, no sooner than the floor. */
  async function recoveryAfterFloor(what: string, path: string, body: Record<string, string>) {
    const started = performance.now();
    const answer = await server.agent().post(path, body, { 'x-forwarded-for': anAddress() });
    const ms = performance.now() - started;
    assert.equal(answer.status, 200, `${what}: ${JSON.stringify(answer.body)}`);
    assert.ok(ms >= ANSWER_FLOOR_MS, `${what}: answered after ${ms.toFixed(1)} ms, before the ${ANSWER_FLOOR_MS} ms floor`);
    return answer.body.message as string;
  }

  test('forgot-password and forgot-company: with a mail sent and with none, the same answer, no sooner than the floor', async () => {
    const who = await tenants.signedUp();
    const suspended = await tenants.signedUp();
    await dbOf(server).updateTable('companies').set({ status: 'suspended' }).where('id', '=', suspended.companyId).execute();
    const resets = [
      await recoveryAfterFloor('a real account', '/api/login/forgot-password', { username: who.username, companyName: who.companyName }),
      await recoveryAfterFloor('an unknown user', '/api/login/forgot-password', { username: 'nobody-here', companyName: who.companyName }),
      await recoveryAfterFloor('an unknown company', '/api/login/forgot-password', { username: who.username, companyName: 'No Such Company Anywhere' }),
      await recoveryAfterFloor('a suspended company', '/api/login/forgot-password', { username: suspended.username, companyName: suspended.companyName }),
    ];
    assert.equal(new Set(resets).size, 1, 'one answer for every case');
    const names = [
      await recoveryAfterFloor("a user's address", '/api/login/forgot-company', { email: who.email }),
      await recoveryAfterFloor('an unknown address', '/api/login/forgot-company', { email: 'nobody@nowhere.test' }),
    ];
    assert.equal(new Set(names).size, 1, 'one answer for every case');
    // The real cases did send: the floor was waited with the mail queued, not instead of it.
    await server.mail.waitFor((m) => m.to.includes(who.email) && m.subject === 'Reset your Gatehouse password');
    await server.mail.waitFor((m) => m.to.includes(who.email) && m.subject === 'Your Gatehouse companies');
  });
});

// What anyone may make Gatehouse store without signing in, walked route by route from
// one client network: the first requests up to the cap are answered as before and store
// their rows, the rest are answered 429 (or, for refusals, as before but unrecorded) and
// store nothing, and another network is not affected (src/shared/anonymous-writes.ts,
// src/modules/oidc/anonymous-caps.ts). One proxy in front, so each request comes from the
// address its X-Forwarded-For names; each case starts in a fresh window (the test clock
// moved on, nothing deleted).
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { MAX_PUSHED_PARAMETER } from '../../src/modules/oidc/anonymous-caps.ts';
import { ANONYMOUS_WRITE_CAPS } from '../../src/shared/anonymous-writes.ts';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { companyWithRootMaster, grantedModule, REDIRECT_URI, rootWithGrantedModule, type Person } from '../helpers/oidc.ts';
import { makeIdp, requestIdFrom } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const NETWORK = { 'x-forwarded-for': '203.0.113.7' };
/** Another client network: an IPv6 /64 of its own. */
const OTHER_NETWORK = { 'x-forwarded-for': '2001:db8:5:6::1' };
/** Requests past each cap. */
const PAST = 5;
const NAVIGATION = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const PKCE = { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };

/** `run(i)` for i = 0..count-1, one after another: their answers. */
async function inTurn<T>(count: number, run: (i: number) => Promise<T>): Promise<T[]> {
  const answers: T[] = [];
  for (let i = 0; i < count; i++) answers.push(await run(i));
  return answers;
}

/** The first `limit` statuses are `allowed`, the rest `capped`. */
function assertCapped(statuses: number[], limit: number, allowed: number, capped: number) {
  assert.deepEqual(statuses.slice(0, limit), Array(limit).fill(allowed), 'up to the cap, as before');
  assert.deepEqual(statuses.slice(limit), Array(statuses.length - limit).fill(capped), 'past the cap');
}

/** A DPoP proof (RFC 9449) by `key` for one request, with a jti of its own; with the access token it goes with, if any. */
async function dpopProof(key: ReturnType<typeof generateKeyPairSync>, method: string, url: string, accessToken?: string) {
  const ath = accessToken === undefined ? {} : { ath: createHash('sha256').update(accessToken).digest('base64url') };
  return new SignJWT({ htm: method, htu: url, ...ath })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: await exportJWK(key.publicKey) })
    .setIssuedAt()
    .setJti(randomUUID())
    .sign(key.privateKey);
}

/** A garbage passkey answer: no such key, a user handle of nobody. */
const garbageAnswer = (i: number) => ({
  response: {
    id: `AAAA${i}`,
    rawId: `AAAA${i}`,
    type: 'public-key',
    response: { clientDataJSON: 'e30', authenticatorData: 'AAAA', signature: 'AAAA', userHandle: Buffer.from('00000000-0000-4000-8000-000000000000').toString('base64url') },
    clientExtensionResults: {},
  },
});

for (const engine of await enginesUnderTest()) {
  describe(`anonymous writes are capped per client network (${engine})`, () => {
    let server: TestServer;
    let base: Awaited<ReturnType<typeof rootWithGrantedModule>>;
    let publicModule: Awaited<ReturnType<typeof grantedModule>>;
    let federated: Person;

    before(async () => {
      server = await startTestServer({ engine, env: { GATEHOUSE_TRUST_PROXY: '1' }, quietWorkers: true });
      server.clock.set(Date.now());
      base = await rootWithGrantedModule(server);
      publicModule = await grantedModule(server, base.operator.agent, base.root.companyId, { clientType: 'public', name: 'Public one' });
      // A company that signs in through its SAML provider (switched on as after a Test sign-in).
      federated = await companyWithRootMaster(server, base.operator.agent);
      const idp = makeIdp();
      const added = await federated.agent.post('/api/company/sso/providers', {
        kind: 'saml', name: 'Federated IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: true,
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      await db().updateTable('sso_providers').set({ enabled: 1, tested_at: server.clock() }).where('id', '=', added.body.provider.id).execute();
    });
    after(() => server.close());

    const db = () => server.gatehouse.deps.db;
    const browser = (): Agent => server.agent();
    /** A fresh window for every cap (and past the lifetime of what earlier cases stored): its start. */
    const freshWindow = () => {
      server.clock.advance(60 * 60_000);
      return server.clock();
    };
    const flowsSince = async (since: number) =>
      Number((await db().selectFrom('login_flows').select((eb) => eb.fn.countAll<number>().as('n')).where('created_at', '>=', since).executeTakeFirstOrThrow()).n);
    const challengesSince = async (since: number) =>
      Number((await db().selectFrom('webauthn_challenges').select((eb) => eb.fn.countAll<number>().as('n')).where('created_at', '>=', since).executeTakeFirstOrThrow()).n);
    const eventsSince = async (since: number, companyId: string | null, action: string) => {
      const query = db().selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('created_at', '>=', since).where('action', '=', action);
      const scoped = companyId === null ? query.where('company_id', 'is', null) : query.where('company_id', '=', companyId);
      return Number((await scoped.executeTakeFirstOrThrow()).n);
    };
    /** Provider records of `model` stored in this window (earlier cases' have expired before it began). */
    const recordsSince = async (since: number, model: string) =>
      Number((await db().selectFrom('oidc_records').select((eb) => eb.fn.countAll<number>().as('n')).where('model', '=', model).where('expires_at', '>', since).executeTakeFirstOrThrow()).n);

    test('"Log in with a passkey": a flow and a challenge per start, up to the cap; then 429', async () => {
      const since = freshWindow();
      const { limit } = ANONYMOUS_WRITE_CAPS.passkeyLoginStarts;
      const answers = await inTurn(limit + PAST, () => browser().post('/api/login/passkey/options', {}, NETWORK));
      assertCapped(answers.map((a) => a.status), limit, 200, 429);
      assert.equal(answers.at(-1)?.body.error.code, 'request.rate_limited');
      assert.equal(await flowsSince(since), limit);
      assert.equal(await challengesSince(since), limit);

      assert.equal((await browser().post('/api/login/passkey/options', {}, OTHER_NETWORK)).status, 200, 'another network starts');
      assert.equal(await flowsSince(since), limit + 1);
    });

    test('identify at a company with single sign-on: a stored flow each, up to the cap; the capped answer is the same for every username', async () => {
      const since = freshWindow();
      const { limit } = ANONYMOUS_WRITE_CAPS.ssoLoginFlows;
      const identify = (username: string, companyName: string, from = NETWORK) => browser().post('/api/login/identify', { username, companyName }, from);
      const answers = await inTurn(limit + PAST, (i) => identify(`nobody${i}`, federated.companyName));
      assertCapped(answers.map((a) => a.status), limit, 200, 429);
      assert.equal(answers[0]?.body.step, 'sso');
      assert.equal(await flowsSince(since), limit);

      const known = await identify(federated.username, federated.companyName);
      const unknown = await identify('nobody-at-all', federated.companyName);
      assert.equal(known.status, 429);
      assert.deepEqual(known.body, unknown.body, 'a user who exists is answered as one who does not');
      // A company without single sign-on stores nothing at identify: not counted.
      assert.equal((await identify(base.root.username, base.root.companyName)).body.step, 'password');
      assert.equal(await flowsSince(since), limit);

      assert.equal((await identify('nobody', federated.companyName, OTHER_NETWORK)).body.step, 'sso', 'another network identifies');
      assert.equal(await flowsSince(since), limit + 1);
    });

    test('"Continue" to the provider: a flow keeps its latest request only, and a network starts only so many', async () => {
      const since = freshWindow();
      const { limit } = ANONYMOUS_WRITE_CAPS.ssoStarts;
      const pending = () => db().selectFrom('sso_requests').select('id').where('created_at', '>=', since).execute();
      const someone = browser();
      assert.equal((await someone.post('/api/login/identify', { username: 'someone', companyName: federated.companyName }, NETWORK)).body.step, 'sso');
      const answers = await inTurn(limit + PAST, () => someone.post('/api/login/sso/start', {}, NETWORK));
      assertCapped(answers.map((a) => a.status), limit, 200, 429);
      assert.equal(answers.at(-1)?.body.error.code, 'request.rate_limited');
      const latest = requestIdFrom(answers[limit - 1]?.body.redirectTo);
      assert.deepEqual((await pending()).map((row) => row.id), [latest], 'one request for the flow: its latest');

      const elsewhere = browser();
      await elsewhere.post('/api/login/identify', { username: 'someone', companyName: federated.companyName }, OTHER_NETWORK);
      assert.equal((await elsewhere.post('/api/login/sso/start', {}, OTHER_NETWORK)).status, 200, 'another network starts');
      assert.equal((await pending()).length, 2);
    });

    for (const [route, answer] of [
      ['GET /sso/<company>/oidc/callback', (i: number, from: Record<string, string>) => browser().get(`/sso/${federated.companyId}/oidc/callback?state=nothing${i}`, from)],
      [
        'POST /saml/<company>/acs/continue',
        (i: number, from: Record<string, string>) =>
          browser().request('POST', `/saml/${federated.companyId}/acs/continue`, `SAMLResponse=${Buffer.from(`<nothing${i}/>`).toString('base64')}`, { 'content-type': 'application/x-www-form-urlencoded', ...from }),
      ],
    ] as const) {
      test(`${route} for no sign-in: refused as before; the company's trail records only so many, and says so once`, async () => {
        const since = freshWindow();
        const { limit } = ANONYMOUS_WRITE_CAPS.refusalEvents;
        const answers = await inTurn(limit + PAST, (i) => answer(i, NETWORK));
        assert.deepEqual(new Set(answers.map((a) => `${a.status} ${a.headers.get('location')}`)), new Set(['303 /login?sso=failed']));
        assert.equal(await eventsSince(since, federated.companyId, 'sso.login_failed'), limit);
        assert.equal(await eventsSince(since, federated.companyId, 'audit.refusals_dropped'), 1);

        assert.equal((await answer(0, OTHER_NETWORK)).status, 303);
        assert.equal(await eventsSince(since, federated.companyId, 'sso.login_failed'), limit + 1, "another network's refusal is recorded");
      });
    }

    test('passkey answers that name no key: refused as before; the platform trail records only so many, and says so once', async () => {
      const since = freshWindow();
      const { limit } = ANONYMOUS_WRITE_CAPS.refusalEvents;
      // A flow takes five wrong answers, the last of which ends it.
      const flows = Math.ceil((limit + PAST) / 5);
      const codes = await inTurn(flows, async () => {
        const someone = browser();
        assert.equal((await someone.post('/api/login/passkey/options', {}, NETWORK)).status, 200);
        return (await inTurn(5, (i) => someone.post('/api/login/passkey', garbageAnswer(i), NETWORK))).map((a) => `${a.status} ${a.body.error.code}`);
      });
      for (const flow of codes) assert.deepEqual(flow, codes[0], 'every flow is answered alike, recorded or not');
      assert.equal(await eventsSince(since, null, 'login.failed'), limit);
      assert.equal(await eventsSince(since, null, 'audit.refusals_dropped'), 1);

      const elsewhere = browser();
      await elsewhere.post('/api/login/passkey/options', {}, OTHER_NETWORK);
      assert.equal((await elsewhere.post('/api/login/passkey', garbageAnswer(0), OTHER_NETWORK)).status, 401);
      assert.equal(await eventsSince(since, null, 'login.failed'), limit + 1, "another network's refusal is recorded");
    });

    const mailsSince = async (since: number, subject: string) =>
      Number((await db().selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('created_at', '>=', since).where('subject', '=', subject).executeTakeFirstOrThrow()).n);
    const actionSince = async (since: number, action: string) =>
      Number((await db().selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('created_at', '>=', since).where('action', '=', action).executeTakeFirstOrThrow()).n);
    const emailOf = async (person: Person) =>
      (await db().selectFrom('users').select('email').where('company_id', '=', person.companyId).where('username', '=', person.username).executeTakeFirstOrThrow()).email;

    // The public mailers: their mail caps are per user and per address, so one network
    // naming every user it knows mailed each of them once a minute, and every request,
    // matched or not, was an audit event kept for good. Past the network's cap: 429 before
    // any lookup, the same whoever is named, and nothing audited or mailed.
    const forgotten = [
      {
        route: '"Forgot password"',
        cap: ANONYMOUS_WRITE_CAPS.passwordResetRequests,
        action: 'password.reset_requested',
        subject: 'Reset your Gatehouse password',
        ask: (i: number, from: Record<string, string>) => browser().post('/api/login/forgot-password', { username: `nobody${i}`, companyName: base.root.companyName }, from),
        askKnown: async (from: Record<string, string>) => browser().post('/api/login/forgot-password', { username: base.root.username, companyName: base.root.companyName }, from),
      },
      {
        route: '"Forgot company name"',
        cap: ANONYMOUS_WRITE_CAPS.companyNameRequests,
        action: 'company_names.requested',
        subject: 'Your Gatehouse companies',
        ask: (i: number, from: Record<string, string>) => browser().post('/api/login/forgot-company', { email: `nobody${i}@nowhere.test` }, from),
        askKnown: async (from: Record<string, string>) => browser().post('/api/login/forgot-company', { email: await emailOf(base.root) }, from),
      },
    ];
    for (const { route, cap, action, subject, ask, askKnown } of forgotten) {
      test(`${route}: audited and mailed up to the network's cap; then 429 for known and unknown alike, nothing audited or mailed`, async () => {
        const since = freshWindow();
        // At once: each answer waits its floor (250 ms), and the count is atomic.
        const answers = await Promise.all([...Array.from({ length: cap.limit - 1 }, (_, i) => ask(i, NETWORK)), askKnown(NETWORK)]);
        assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]), 'up to the cap, as before');
        assert.equal(await mailsSince(since, subject), 1, "the known user's mail");
        assert.equal(await actionSince(since, action), cap.limit);

        server.clock.advance(121_000); // past the per-user and per-address mail minute, and the minute that still counts it
        const known = await askKnown(NETWORK);
        const unknown = await ask(cap.limit, NETWORK);
        assert.equal(known.status, 429);
        assert.equal(known.body.error.code, 'request.rate_limited');
        assert.deepEqual(known.body, unknown.body, 'a user who exists is answered as one who does not');
        assert.equal(await mailsSince(since, subject), 1, 'no mail past the cap');
        assert.equal(await actionSince(since, action), cap.limit, 'nothing audited past the cap');

        assert.equal((await askKnown(OTHER_NETWORK)).status, 200, 'another network asks');
        assert.equal(await mailsSince(since, subject), 2);
        // Another address of the same IPv6 /64 is the same client.
        assert.equal((await askKnown({ 'x-forwarded-for': '2001:db8:5:6::ffff' })).status, 200, "that /64's second request");
        const sameNetwork = await Promise.all(Array.from({ length: cap.limit }, (_, i) => ask(i, { 'x-forwarded-for': `2001:db8:5:6:${i.toString(16)}::1` })));
        assert.equal(sameNetwork.filter((a) => a.status === 429).length, 2, 'the /64 is counted as one client');
      });
    }

    test('a sign-in too large for a cookie is stored as a row up to the cap; then a 429 page that stores nothing', async () => {
      const since = freshWindow();
      const { limit } = ANONYMOUS_WRITE_CAPS.storedInteractions;
      const authorize = (state: string, from: Record<string, string>) => {
        const query = new URLSearchParams({ client_id: base.module.module.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', ...PKCE, state });
        return browser().get(`/oidc/auth?${query}`, { ...NAVIGATION, ...from });
      };
      const answers = await inTurn(limit + PAST, (i) => authorize(`${'x'.repeat(4000)}${i}`, NETWORK));
      assertCapped(answers.map((a) => a.status), limit, 303, 429);
      const capped = answers.at(-1);
      assert.match(String(capped?.body), /Too many/);
      assert.equal(capped?.headers.get('location'), null);
      assert.deepEqual(capped?.setCookies, [], 'no cookie of a sign-in that was not stored');
      assert.equal(await recordsSince(since, 'Interaction'), limit);

      // A sign-in that travels in the browser stores nothing, and is not counted.
      assert.equal((await authorize('usual', NETWORK)).status, 303);
      assert.equal((await authorize(`${'x'.repeat(4000)}`, OTHER_NETWORK)).status, 303, 'another network signs in');
      assert.equal(await recordsSince(since, 'Interaction'), limit + 1);
    });

    const pushEndpoint = () => new URL('/oidc/request', server.baseUrl).toString();
    /** A pushed authorization request (POST /oidc/request) from a module's client, not a browser page: no Origin. */
    const push = async (clientId: string, state: string, from: Record<string, string>, headers: Record<string, string> = {}) => {
      const answer = await fetch(pushEndpoint(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers, ...from },
        body: new URLSearchParams({ client_id: clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', ...PKCE, state }),
      });
      return { status: answer.status, headers: answer.headers, body: (await answer.json()) as { error?: string; error_description?: string } };
    };

    test("pushed authorization requests naming a public module: stored up to the cap, then 429; a module that authenticates is not counted; an overlong parameter is invalid_request", async () => {
      const since = freshWindow();
      const { limit } = ANONYMOUS_WRITE_CAPS.pushedRequests;
      const answers = await inTurn(limit + PAST, (i) => push(publicModule.module.clientId, `${'y'.repeat(1000)}${i}`, NETWORK));
      assertCapped(answers.map((a) => a.status), limit, 201, 429);
      assert.equal(answers.at(-1)?.body.error, 'temporarily_unavailable');
      assert.equal(answers.at(-1)?.headers.get('retry-after'), String((2 * ANONYMOUS_WRITE_CAPS.pushedRequests.windowMs) / 1000));
      assert.equal(await recordsSince(since, 'PushedAuthorizationRequest'), limit);

      const basic = `Basic ${Buffer.from(`${encodeURIComponent(base.module.module.clientId)}:${encodeURIComponent(base.module.clientSecret ?? '')}`).toString('base64')}`;
      assert.equal((await push(base.module.module.clientId, 'confidential', NETWORK, { authorization: basic })).status, 201, 'an authenticated module is not counted');
      assert.equal((await push(publicModule.module.clientId, 'elsewhere', OTHER_NETWORK)).status, 201, 'another network pushes');
      assert.equal(await recordsSince(since, 'PushedAuthorizationRequest'), limit + 2);

      const overlong = await push(publicModule.module.clientId, 'z'.repeat(MAX_PUSHED_PARAMETER + 1), OTHER_NETWORK);
      assert.equal(overlong.status, 400);
      assert.equal(overlong.body.error, 'invalid_request');
      assert.equal(await recordsSince(since, 'PushedAuthorizationRequest'), limit + 2);
    });

    // A DPoP proof (RFC 9449) is remembered by the provider, one row for its jti
    // (replay-detection.ts), before the pushed request is saved: past the cap the 429 left
    // that row behind, one per request.
    test('pushed requests with a DPoP proof: the proof is remembered under the cap only, past it nothing is stored; a bound push still works and its proof is taken once', async () => {
      const since = freshWindow();
      const { limit } = ANONYMOUS_WRITE_CAPS.pushedRequests;
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const thumbprint = await calculateJwkThumbprint(await exportJWK(key.publicKey));
      const pushWithProof = async (state: string, from: Record<string, string>, proof?: string) =>
        push(publicModule.module.clientId, state, from, { dpop: proof ?? (await dpopProof(key, 'POST', pushEndpoint())) });

      const answers = await inTurn(limit + PAST, (i) => pushWithProof(`bound${i}`, NETWORK));
      assertCapped(answers.map((a) => a.status), limit, 201, 429);
      assert.equal(answers.at(-1)?.body.error, 'temporarily_unavailable');
      assert.equal(answers.at(-1)?.headers.get('retry-after'), String((2 * ANONYMOUS_WRITE_CAPS.pushedRequests.windowMs) / 1000));
      assert.equal(await recordsSince(since, 'ReplayDetection'), limit, 'one proof remembered per stored request, none past the cap');
      assert.equal(await recordsSince(since, 'PushedAuthorizationRequest'), limit);

      // Under the cap (another network's): the request is bound to the proof's key, and the proof is not taken twice.
      const proof = await dpopProof(key, 'POST', pushEndpoint());
      assert.equal((await pushWithProof('bound', OTHER_NETWORK, proof)).status, 201);
      const replayed = await pushWithProof('replayed', OTHER_NETWORK, proof);
      assert.equal(replayed.status, 400);
      assert.equal(replayed.body.error, 'invalid_request');
      assert.match(String(replayed.body.error_description), /replay/i);
      const stored = await db().selectFrom('oidc_records').select('payload').where('model', '=', 'PushedAuthorizationRequest').where('expires_at', '>', since).execute();
      assert.equal(stored.length, limit + 1);
      assert.deepEqual(new Set(stored.map((row) => (JSON.parse(row.payload) as { dpopJkt?: string }).dpopJkt)), new Set([thumbprint]), "every stored request is bound to the proof's key");
      assert.equal(await recordsSince(since, 'ReplayDetection'), limit + 1);

      // An overlong parameter is refused before the proof is remembered.
      const overlong = await pushWithProof('z'.repeat(MAX_PUSHED_PARAMETER + 1), OTHER_NETWORK);
      assert.equal(overlong.status, 400);
      assert.equal(overlong.body.error, 'invalid_request');
      assert.equal(await recordsSince(since, 'ReplayDetection'), limit + 1);
    });

    test("a DPoP proof with a public module's token request or at userinfo is remembered only with a live code, token or refresh token: naming none stores nothing", async () => {
      const since = freshWindow();
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const tokenEndpoint = new URL('/oidc/token', server.baseUrl).toString();
      const userinfo = new URL('/oidc/me', server.baseUrl).toString();
      const grants: Record<string, string>[] = [
        { grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: REDIRECT_URI, code_verifier: 'v'.repeat(43) },
        { grant_type: 'refresh_token', refresh_token: 'no-such-refresh-token' },
      ];
      for (const grant of grants) {
        const answer = await fetch(tokenEndpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await dpopProof(key, 'POST', tokenEndpoint), ...NETWORK },
          body: new URLSearchParams({ client_id: publicModule.module.clientId, ...grant }),
        });
        assert.equal(answer.status, 400, grant.grant_type);
        assert.equal(((await answer.json()) as { error?: string }).error, 'invalid_grant', grant.grant_type);
      }
      const me = await fetch(userinfo, { headers: { authorization: 'DPoP no-such-token', dpop: await dpopProof(key, 'GET', userinfo, 'no-such-token'), ...NETWORK } });
      assert.equal(me.status, 401);
      assert.equal(await recordsSince(since, 'ReplayDetection'), 0);
    });
  });
}

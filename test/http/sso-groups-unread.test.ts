// Group membership from an OpenID Connect provider's group claim (src/groups/sync.ts, via
// src/sso/sign-in.ts vouch). The claim may come from the ID token or from userinfo
// (src/sso/oidc.ts oidcClaims merges both; sso-group-claim-size.test.ts sends groups by
// userinfo). When the provider's groups cannot be read at this sign-in (userinfo did not
// answer, or the ID token says the groups claim is elsewhere: OpenID Connect Core 5.6.2
// distributed claims, Entra ID's overage), nothing says the user left their groups: the
// memberships, and the module access they give, must not be taken away: the sign-in is
// refused, saying why in the company's trail (sso.login_failed), and nothing changes.
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { startForgingOidcIdp, switchedOnForgingProvider, type ForgingOidcIdp, type Forgery } from '../helpers/forging-oidc-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('a group claim that could not be read this time leaves the user in their groups (sqlite)', () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: ForgingOidcIdp;
  let front: Server;
  /** While true, the provider's userinfo endpoint answers 503 (an outage, a timeout). */
  let userinfoDown = false;

  async function groupsOfUser(username: string) {
    const answer = await company.root.agent.get('/api/company/groups');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const groups = answer.body.groups as Array<{ name: string; members: Array<{ username: string }> }>;
    return groups.filter((g) => g.members.some((m) => m.username === username)).map((g) => g.name);
  }

  async function signIn(forgery: Forgery) {
    server.clock.advance(1_000);
    const browser = server.agent();
    const identified = await browser.post('/api/login/identify', { username: 'forged', companyName: company.companyName });
    assert.equal(identified.body.step, 'sso', JSON.stringify(identified.body));
    const started = await browser.post('/api/login/sso/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    idp.forgeNext(forgery);
    const landed = await browser.get(idp.authorize(started.body.redirectTo).slice(server.baseUrl.length));
    return landed.headers.get('location');
  }

  /** The last refused sign-in's reason, as the company's trail shows it. */
  async function lastRefusal() {
    const trail = await company.root.agent.get('/api/company/audit?action=sso.login_failed');
    assert.equal(trail.status, 200, JSON.stringify(trail.body));
    return String(trail.body.events[0]?.detail?.reason ?? '');
  }

  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Unread Groups', 'dana@unread.test');
    idp = await startForgingOidcIdp();
    // A front for the provider: everything passes through, userinfo fails while told to.
    const backend = new URL(idp.issuer);
    front = createServer((req, res) => {
      if (userinfoDown && req.url?.startsWith('/userinfo')) return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"temporarily_unavailable"}');
      const out = httpRequest({ host: backend.hostname, port: backend.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(out);
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    idp.issuer = frontUrl;
    idp.discoveryIssuer = frontUrl;
    const root = company.root.agent;
    for (const name of ['Engineering', 'Support']) assert.equal((await root.post('/api/company/groups', { name })).status, 201);
    await switchedOnForgingProvider(server, company, { trustProviderMfa: false, groupsAttribute: 'groups' }, idp);
  });
  after(async () => {
    await new Promise<void>((resolve) => (front ? front.close(() => resolve()) : resolve()));
    await idp?.close();
    await server?.close();
  });

  test('userinfo down at one sign-in: the groups it carried are not all taken away', async () => {
    userinfoDown = false;
    assert.equal(await signIn({ userinfo: { groups: ['Engineering', 'Support'] } }), '/login');
    assert.deepEqual(await groupsOfUser('forged'), ['Engineering', 'Support'], 'the first sign-in reads the groups from userinfo');
    userinfoDown = true;
    try {
      assert.equal(await signIn({ userinfo: { groups: ['Engineering', 'Support'] } }), '/login?sso=failed');
    } finally {
      userinfoDown = false;
    }
    // The provider never said the user left Engineering and Support.
    assert.deepEqual(await groupsOfUser('forged'), ['Engineering', 'Support'], 'an unanswered userinfo request removed every membership');
    assert.match(await lastRefusal(), /userinfo could not be read .*does not carry the "groups" claim/);
    // Groups in the ID token itself need no userinfo: an outage of it changes nothing then.
    userinfoDown = true;
    try {
      assert.equal(await signIn({ claims: { groups: ['Support'] } }), '/login');
    } finally {
      userinfoDown = false;
    }
    assert.deepEqual(await groupsOfUser('forged'), ['Support']);
  });

  test('a distributed groups claim (_claim_names, Entra ID overage) is not "no groups"', async () => {
    assert.equal(await signIn({ claims: { groups: ['Engineering', 'Support'] } }), '/login');
    assert.deepEqual(await groupsOfUser('forged'), ['Engineering', 'Support']);
    // OpenID Connect Core 5.6.2: the groups claim exists, at another endpoint. Entra ID sends
    // this for a user in more than 200 groups, at every sign-in.
    const refused = await signIn({
      claims: {
        _claim_names: { groups: 'src1' },
        _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/v1.0/users/abc/getMemberObjects' } },
      },
    });
    assert.equal(refused, '/login?sso=failed');
    assert.deepEqual(await groupsOfUser('forged'), ['Engineering', 'Support'], 'a user whose groups the provider sent elsewhere lost them all');
    assert.match(await lastRefusal(), /sent the "groups" groups by reference .*only the groups assigned to the application/);
    // An answer that names no groups at all is still "in no group" (docs/SSO.md).
    assert.equal(await signIn({ claims: {} }), '/login');
    assert.deepEqual(await groupsOfUser('forged'), []);
  });
});

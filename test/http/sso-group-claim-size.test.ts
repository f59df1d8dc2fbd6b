// A provider's group claim is the provider's to fill, up to the limit of its answer (1 MiB,
// src/shared/outbound-fetch.ts), and each of its names is keyed (per character, folding
// look-alikes) and looked up among the company's groups (src/groups/sync.ts). Once, every
// name was keyed and all keys went into one `in` list: 40,000 names took seconds of the
// shared event loop and passed the bound-parameter limit of both engines (SQLite 32766,
// PostgreSQL 65535), failing the sign-in; a name of any length was keyed whole. Now only
// the first MAX_CLAIMED_GROUP_NAMES names are matched, and a name longer than a Master may
// type for a group is not read further.
//
// Work is counted, not timed (as in name-input-cost.test.ts): every string
// Unicode-normalized while the provider's answer is handled adds its length.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { MAX_CLAIMED_GROUP_NAMES } from '../../src/groups/index.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startForgingOidcIdp, switchedOnForgingProvider, type ForgingOidcIdp, type Forgery } from '../helpers/forging-oidc-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { charactersNormalized } from '../helpers/normalized-characters.ts';

const KIB = 1024;
/** Far more characters than an ordinary sign-in normalizes, far fewer than one long name keyed. */
const BOUND = 64 * KIB;

for (const engine of await enginesUnderTest()) describe(`a provider's group claim of any size signs in (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: ForgingOidcIdp;

  /** The user's groups, as the company's Master sees them. */
  async function groupsOfUser(username: string) {
    const answer = await company.root.agent.get('/api/company/groups');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const groups = answer.body.groups as Array<{ name: string; members: Array<{ username: string }> }>;
    return groups.filter((g) => g.members.some((m) => m.username === username)).map((g) => g.name);
  }

  /** A sign-in through the provider whose next answer is forged as told: where it lands. */
  async function signIn(forgery: Forgery) {
    const browser = server.agent();
    const identified = await browser.post('/api/login/identify', { username: 'forged', companyName: company.companyName });
    assert.equal(identified.body.step, 'sso', JSON.stringify(identified.body));
    const started = await browser.post('/api/login/sso/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    idp.forgeNext(forgery);
    const back = idp.authorize(started.body.redirectTo);
    const landed = await browser.get(back.slice(server.baseUrl.length));
    assert.equal(landed.headers.get('location'), '/login', 'signed in');
    assert.equal((await browser.get('/api/login')).body.step, 'enroll', "on to Gatehouse's own second factor");
  }

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Claimed Groups', 'dana@claimed.test');
    idp = await startForgingOidcIdp();
    const root = company.root.agent;
    for (const name of ['Engineering', 'Support']) assert.equal((await root.post('/api/company/groups', { name })).status, 201);
    await switchedOnForgingProvider(server, company, { trustProviderMfa: false, groupsAttribute: 'groups' }, idp);
  });
  after(async () => {
    await idp?.close();
    await server?.close();
  });

  test('40,000 names, the first the company has a group for: the user joins it, and only the first names are read', async () => {
    const unknown = Array.from({ length: 40_000 }, (_, i) => `g${i}`);
    const { read } = await charactersNormalized(() => signIn({ claims: { groups: ['engineering', ...unknown] } }));
    assert.deepEqual(await groupsOfUser('forged'), ['Engineering']);
    // Keying the first 1,000 of these names normalizes about 70,000 characters; all 40,000
    // would be about 2.8 million.
    assert.ok(read < 4 * BOUND, `${read} characters normalized for one sign-in`);
  });

  test('a name past the first MAX_CLAIMED_GROUP_NAMES is ignored, as a name of no group is', async () => {
    const unknown = Array.from({ length: MAX_CLAIMED_GROUP_NAMES }, (_, i) => `h${i}`);
    await signIn({ claims: { groups: ['Engineering', ...unknown.slice(1), 'Support'] } });
    assert.deepEqual(await groupsOfUser('forged'), ['Engineering'], 'the 1,001st name, Support, is not read');
    await signIn({ claims: { groups: ['Engineering', ...unknown.slice(2), 'Support'] } });
    assert.deepEqual(await groupsOfUser('forged'), ['Engineering', 'Support'], 'the 1,000th is');
  });

  test('names longer than a group name can be typed are not read: the sign-in reads the rest', async () => {
    // Userinfo is plain JSON (the ID token is base64url), so 800 KiB of names fit its answer.
    const long = Array.from({ length: 4 }, (_, i) => `${i}`.padEnd(200 * KIB, 'x'));
    const { read } = await charactersNormalized(() => signIn({ userinfo: { groups: [...long, 'SUPPORT'] } }));
    assert.deepEqual(await groupsOfUser('forged'), ['Support'], 'the named group joined, the one no longer named left');
    assert.ok(read < BOUND, `${read} characters normalized for one sign-in`);
  });
});

// Behind reverse proxies, X-Forwarded-For is believed only as far as the proxies we
// trust: what a client writes left of them never passes a company's IP allowlist, never
// dodges the per-address throttle, and is never stored as an address. Both ways of
// saying which proxies are trusted (a hop count, a list of ranges) are tried.
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { IP_MAX_FAILURES } from '../../src/login/ip-throttle.ts';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';

const ALLOWED_RANGE = '198.51.100.0/24';
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const allowedAddress = fc.nat(255).map((n) => `198.51.100.${n}`);
/** Whatever an attacker writes in front: allowed addresses, their mapped spelling, junk. */
const prepended = fc.array(
  fc.oneof(allowedAddress, allowedAddress.map((a) => `::ffff:${a}`), ipv4, fc.ipV6(), fc.constantFrom('unknown', '<script>', '127.1', 'localhost')),
  { minLength: 1, maxLength: 4 },
);
/** A real client outside the allowlist (and outside the trusted proxy ranges). */
const outsider = fc.tuple(fc.integer({ min: 1, max: 254 }), fc.nat(255)).map(([a, b]) => `203.0.${a}.${b}`);
/** Text a broken or absent proxy might put where the client's address belongs. */
const garbage = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes(',') && s.trim() !== '' && isIP(s.trim()) === 0),
  fc.constantFrom('unknown', "' or 1=1 --", '127.1', '0x7f000001', 'fe80::1%eth0', '::ffff:', '1.2.3.4:8080', '<img src=x>'),
);

/** The two ways to configure the same deployment: one proxy hop, or proxies listed (a 10.x one inside). */
const MODES = [
  { name: 'hop count', env: '1', chain: (entries: string[]) => entries },
  { name: 'address list', env: '127.0.0.1, 10.0.0.0/8', chain: (entries: string[]) => [...entries, '10.20.30.40'] },
];

for (const engine of await enginesUnderTest()) {
  for (const mode of MODES) {
    describe(`trusted proxies by ${mode.name} (${engine})`, () => {
      let server: TestServer;
      let tenants: ReturnType<typeof tenantFactory>;
      before(async () => {
        server = await startTestServer({ engine, env: { GATEHOUSE_TRUST_PROXY: mode.env } });
        tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'Proxy Co', emailDomain: 'proxy.test' });
      });
      after(() => server.close());

      /** X-Forwarded-For as the proxies deliver it: the client's own words, then what each proxy appended. */
      const from = (client: string, words: string[] = []) => ({ 'x-forwarded-for': mode.chain([...words, client]).join(', ') });
      async function passwordStep(who: { username: string; companyName: string }, password: string, headers: Record<string, string>, agent: Agent = server.agent()) {
        assert.equal((await agent.post('/api/login/identify', { username: who.username, companyName: who.companyName }, headers)).status, 200);
        return agent.post('/api/login/password', { password }, headers);
      }

      test('prepending an allowed address does not pass the IP allowlist; the real client decides', async () => {
        const co = await tenants.member();
        const allowedClient = from('198.51.100.10');
        const set = await co.agent.post('/api/company/policy', { ipAllowlist: [ALLOWED_RANGE] }, allowedClient);
        assert.equal(set.status, 200, JSON.stringify(set.body));
        assert.equal(set.body.currentIp, '198.51.100.10');

        await fc.assert(
          fc.asyncProperty(outsider, prepended, async (client, words) => {
            const answer = await passwordStep(co, STRONG_PASSWORD, from(client, words));
            assert.equal(answer.status, 403, `${from(client, words)['x-forwarded-for']}: ${JSON.stringify(answer.body)}`);
            assert.equal(answer.body.error.code, 'login.ip_not_allowed');
          }),
          { numRuns: 6 },
        );
        const inside = await passwordStep(co, STRONG_PASSWORD, from('::ffff:198.51.100.77', ['203.0.113.1']));
        assert.equal(inside.status, 200, JSON.stringify(inside.body));
        const refused = await server.gatehouse.storage.db.selectFrom('audit_events').select('ip').where('action', '=', 'login.ip_refused').where('company_id', '=', co.companyId).execute();
        assert.ok(refused.length >= 6);
        for (const row of refused) assert.ok(row.ip?.startsWith('203.0.'), `refusal recorded for the real client, not ${row.ip}`);
      });

      test('the per-address throttle counts the real client, whatever it writes in front', async () => {
        const co = await tenants.signedUp();
        const client = mode.name === 'hop count' ? '192.0.2.10' : '192.0.2.20';
        const words = fc.sample(prepended, IP_MAX_FAILURES);
        for (const [i, written] of words.entries()) {
          const answer = await passwordStep({ username: `sprayed${i}`, companyName: co.companyName }, 'Spring-2026-Guess!', from(client, written));
          assert.equal(answer.status, 401, `attempt ${i}`);
        }
        const throttled = await passwordStep(co, STRONG_PASSWORD, from(client, ['192.0.2.99', ...(words[0] ?? [])]));
        assert.equal(throttled.status, 429, 'a new prefix does not make a new client');
        const elsewhere = await passwordStep(co, STRONG_PASSWORD, from('192.0.2.200', [client]));
        assert.equal(elsewhere.status, 200, 'another client, even naming the throttled one in front, is not throttled');
      });

      test('text that is not an address is never stored as one: sessions, audit and throttle hold valid addresses or nothing', async () => {
        const co = await tenants.member();
        const db = server.gatehouse.storage.db;
        // Whether any run's client was not an address (fast-check may draw only valid ones).
        let unknownClientSeen = false;
        await fc.assert(
          fc.asyncProperty(fc.oneof(garbage, allowedAddress.map((a) => `::FFFF:${a}`)), prepended, async (client, words) => {
            const agent = server.agent();
            const headers = from(client, words);
            const afterPassword = await passwordStep(co, STRONG_PASSWORD, headers, agent);
            assert.equal(afterPassword.status, 200, JSON.stringify(afterPassword.body));
            server.clock.advance(30_000);
            const done = await agent.post('/api/login/totp', { code: totpAt(co.totpSecret, server.clock()) }, headers);
            assert.equal(done.status, 200, JSON.stringify(done.body));
            // A use a minute on stores its address too (sessions.last_seen_ip).
            server.clock.advance(61_000);
            const sessions = await agent.get('/api/me/sessions', headers);
            const current = sessions.body.sessions.find((s: { current: boolean }) => s.current);
            const expected = /^::ffff:198\.51\.100\.\d+$/i.test(client) ? client.slice('::ffff:'.length) : null;
            assert.equal(current.ip, expected, `stored for ${headers['x-forwarded-for']}`);
            if (expected === null) unknownClientSeen = true;
            // A failure from the same client is counted, under a valid key or the shared unknown one.
            await passwordStep({ username: 'nobody-here', companyName: co.companyName }, 'Wrong-Guess-1!', headers);
          }),
          { numRuns: 8 },
        );
        const stored = [
          ...(await db.selectFrom('sessions').select(['ip', 'last_seen_ip']).execute()).flatMap((r) => [r.ip, r.last_seen_ip]),
          ...(await db.selectFrom('audit_events').select('ip').execute()).map((r) => r.ip),
        ];
        for (const ip of stored) assert.ok(ip === null || (isIP(ip) !== 0 && !/^::ffff:|%/i.test(ip) && ip === ip.toLowerCase()), `stored "${ip}"`);
        for (const { ip } of await db.selectFrom('login_throttle').select('ip').execute()) assert.ok(ip === 'unknown' || isIP(ip) === 4 || (ip.endsWith('::/64') && isIP(ip.slice(0, -3)) === 6), `throttle key "${ip}"`);
        const unknownCounts = (await db.selectFrom('login_throttle').select('ip').where('ip', '=', 'unknown').execute()).length;
        assert.equal(unknownCounts, unknownClientSeen ? 1 : 0, 'unknown clients share one count (and only they use it)');
      });
    });
  }
}

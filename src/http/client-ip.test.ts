// The client address from generated X-Forwarded-For chains: Fastify's request.ip (the
// walk proxy-addr does with our trust) and clientAddressOf (the provider's) agree, the
// answer is always a valid address in one form or null, and never an entry the client
// wrote left of a trusted proxy.
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { ConfigError, loadConfig } from '../config.ts';
import { clientAddressOf, fastifyTrustProxy, normalizeAddress, parseProxyTrust, trustedHop, type ProxyTrust } from './client-ip.ts';

test('GATEHOUSE_TRUST_PROXY: a hop count or proxy addresses; "true" is refused with what to write instead', () => {
  assert.deepEqual(loadConfig({}).trustProxy, { kind: 'none' });
  assert.deepEqual(loadConfig({ GATEHOUSE_TRUST_PROXY: 'false' }).trustProxy, { kind: 'none' });
  assert.deepEqual(loadConfig({ GATEHOUSE_TRUST_PROXY: '1' }).trustProxy, { kind: 'hops', hops: 1 });
  assert.deepEqual(loadConfig({ GATEHOUSE_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1,2001:DB8::/32' }).trustProxy, {
    kind: 'ranges',
    ranges: ['127.0.0.1/32', '10.0.0.0/8', '::1/128', '2001:db8::/32'],
  });
  assert.deepEqual(parseProxyTrust('loopback'), { kind: 'ranges', ranges: ['127.0.0.0/8', '::1/128'] });
  for (const value of ['true', 'TRUE', ' true ']) {
    assert.throws(
      () => loadConfig({ GATEHOUSE_TRUST_PROXY: value }),
      (error: unknown) => error instanceof ConfigError && /GATEHOUSE_TRUST_PROXY/.test(error.message) && /how many proxies/.test(error.message),
    );
  }
  for (const value of ['yes', '10.0.0.0/33', '127.1', 'fe80::1%eth0', '10.0.0.1,', '11', '1.2.3.4/8/8']) {
    assert.throws(() => loadConfig({ GATEHOUSE_TRUST_PROXY: value }), /GATEHOUSE_TRUST_PROXY/, value);
  }
});

test('addresses are validated and written one way', () => {
  assert.equal(normalizeAddress('::ffff:203.0.113.9'), '203.0.113.9');
  assert.equal(normalizeAddress('::FFFF:cb00:7109'), '203.0.113.9');
  assert.equal(normalizeAddress('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(normalizeAddress(' 198.51.100.4 '), '198.51.100.4');
  for (const bad of ['', 'unknown', '127.1', '0x7f.0.0.1', '1.2.3.4.5', '<script>', 'fe80::1%eth0', '1.2.3.4:80', "' or 1=1 --"]) {
    assert.equal(normalizeAddress(bad), null, bad);
  }
});

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.'));
const ipv6 = fc.ipV6();
const junk = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('unknown', '127.1', '::ffff:', '1.2.3', 'fe80::1%eth0', '" or 1=1'));
const entry = fc.oneof(ipv4, ipv6, ipv4.map((a) => `::ffff:${a}`), junk);
const trusts = fc.oneof(
  fc.constant<ProxyTrust>({ kind: 'none' }),
  fc.integer({ min: 1, max: 4 }).map((hops): ProxyTrust => ({ kind: 'hops', hops })),
  fc.constantFrom('127.0.0.1', '127.0.0.0/8,10.0.0.0/8', '10.0.0.0/8,::1,2001:db8::/32', 'loopback,uniquelocal').map((text) => parseProxyTrust(text) as ProxyTrust),
);

test('the provider and Fastify see the same client for any chain; it is a valid address or null', async () => {
  const apps = new Map<string, FastifyInstance>();
  const appFor = async (trust: ProxyTrust) => {
    const key = JSON.stringify(trust);
    let app = apps.get(key);
    if (!app) {
      app = Fastify({ trustProxy: fastifyTrustProxy(trust) } as FastifyServerOptions) as unknown as FastifyInstance;
      app.get('/', async (request) => ({ ip: normalizeAddress(request.ip), mine: clientAddressOf(request.raw, trustedHop(trust)) }));
      await app.ready();
      apps.set(key, app);
    }
    return app;
  };
  await fc.assert(
    fc.asyncProperty(trusts, fc.constantFrom('127.0.0.1', '10.1.2.3', '::1', '203.0.113.5'), fc.array(entry, { maxLength: 6 }), async (trust, peer, chain) => {
      const app = await appFor(trust);
      const headers = chain.length > 0 ? { 'x-forwarded-for': chain.join(', ') } : {};
      const answer = (await app.inject({ method: 'GET', url: '/', remoteAddress: peer, headers })).json() as { ip: string | null; mine: string | null };
      assert.equal(answer.mine, answer.ip);
      if (answer.ip !== null) {
        assert.ok(isIP(answer.ip), answer.ip);
        assert.equal(answer.ip, normalizeAddress(answer.ip));
      }
      if (trust.kind === 'none') assert.equal(answer.ip, normalizeAddress(peer));
      if (trust.kind === 'hops') {
        // Never further left than `hops` entries from the right: those are the client's own
        // words. (Empty entries are no hop, for proxy-addr as for us.)
        const entries = chain.join(', ').split(',').map((e) => e.trim()).filter(Boolean);
        const reachable = [peer, ...entries.reverse()].slice(0, trust.hops + 1).map(normalizeAddress);
        assert.ok(answer.ip === null || reachable.includes(answer.ip), `${answer.ip} from ${chain.join(', ')}`);
      }
    }),
    { numRuns: 300 },
  );
  await Promise.all([...apps.values()].map((app) => app.close()));
});

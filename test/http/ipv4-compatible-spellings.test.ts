// An IPv4-compatible IPv6 address (::c633:6407, in ::/96) is one address however it is
// spelled. ipaddr.js parses any "::a.b.c.d" as the mapped ::ffff:a.b.c.d, so written with a
// dotted tail, as Node itself writes it (libuv's inet_ntop: socket.remoteAddress, a DNS
// answer), it became the IPv4 address 198.51.100.7: a company allowing that address (or its
// /24) admitted the IPv6 host spelled one way and refused it spelled the other, and the
// session and the trail recorded it as the IPv4 address; outbound-fetch refused ::/96 in hex
// only. The address is now read by the URL parser first, as allowlist entries are
// (parseAddress, src/http/client-ip.ts).
import assert from 'node:assert/strict';
import { SocketAddress } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { normalizeAddress } from '../../src/http/client-ip.ts';
import { reachable } from '../../src/shared/outbound-fetch.ts';
import { signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { tenantFactory } from '../helpers/tenants.ts';
import { totpAt } from '../helpers/totp.ts';

describe('an IPv4-compatible IPv6 address is one address, however it is spelled (sqlite)', () => {
  let server: TestServer;
  let tenants: ReturnType<typeof tenantFactory>;
  before(async () => {
    server = await startTestServer({ env: { GATEHOUSE_TRUST_PROXY: '1' } });
    tenants = tenantFactory(server, await signedInOperator(server), { namePrefix: 'IP Spelling', emailDomain: 'ipspelling.test' });
  });
  after(() => server.close());
  const from = (address: string) => ({ 'x-forwarded-for': address });

  async function loginFrom(co: { username: string; companyName: string; totpSecret: string }, address: string) {
    const agent = server.agent();
    assert.equal((await agent.post('/api/login/identify', { username: co.username, companyName: co.companyName }, from(address))).status, 200);
    const password = await agent.post('/api/login/password', { password: STRONG_PASSWORD }, from(address));
    if (password.status !== 200) return { status: password.status, ip: undefined };
    server.clock.advance(30_000);
    const done = await agent.post('/api/login/totp', { code: totpAt(co.totpSecret, server.clock()) }, from(address));
    if (done.status !== 200) return { status: done.status, ip: undefined };
    const sessions = await agent.get('/api/me/sessions', from(address));
    return { status: sessions.status, ip: sessions.body.sessions?.find((s: { current: boolean }) => s.current)?.ip };
  }

  test('Node itself writes ::c633:6407 as "::198.51.100.7"', () => {
    assert.equal(new SocketAddress({ address: '::c633:6407', family: 'ipv6' }).address, '::198.51.100.7');
  });

  test('normalizeAddress gives both spellings one form, and not the IPv4 address', () => {
    assert.equal(normalizeAddress('::c633:6407'), '::c633:6407');
    assert.equal(normalizeAddress('::198.51.100.7'), normalizeAddress('::c633:6407'), 'the dotted spelling is read as the IPv4 address 198.51.100.7');
    assert.equal(reachable('::8.8.8.8', []), reachable('::808:808', []), 'reachable() refuses ::/96 in hex and accepts it dotted');
  });

  test("a company allowing 198.51.100.7 refuses the IPv6 host ::c633:6407 in either spelling", async () => {
    const co = await tenants.member();
    const saved = await co.agent.post('/api/company/policy', { ipAllowlist: ['127.0.0.1', '198.51.100.7'] });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.deepEqual(saved.body.policy.ipAllowlist, ['127.0.0.1/32', '198.51.100.7/32']);

    assert.deepEqual(await loginFrom(co, '198.51.100.7'), { status: 200, ip: '198.51.100.7' }, 'the allowed IPv4 host logs in');
    assert.deepEqual((await loginFrom(co, '::c633:6407')).status, 403, 'the IPv6 host, in hex');
    const dotted = await loginFrom(co, '::198.51.100.7');
    assert.equal(dotted.status, 403, `the same IPv6 host, spelled as Node spells it, got in (session recorded as ${dotted.ip})`);
  });
});

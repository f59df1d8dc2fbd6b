import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipAllowed, parseRange } from './ip-ranges.ts';

test('ranges are normalized: host bits cleared, single addresses get a full prefix, IPv6 compressed', () => {
  const normal = (text: string) => {
    const parsed = parseRange(text);
    return parsed.ok ? parsed.range : undefined;
  };
  assert.equal(normal('10.1.2.3/8'), '10.0.0.0/8');
  assert.equal(normal(' 203.0.113.7 '), '203.0.113.7/32');
  assert.equal(normal('2001:DB8:0:0:0:0:0:1/32'), '2001:db8::/32');
  assert.equal(normal('::1'), '::1/128');
  assert.equal(normal('0.0.0.0/0'), '0.0.0.0/0');
  for (const bad of ['abc', '10.0.0.0/33', '::/129', '1.2.3.4/', '1.2.3.4/ 8', '01.2.3.4', 'fe80::1%eth0', '']) {
    assert.equal(parseRange(bad).ok, false, bad);
  }
});

test('matching: an empty list allows all; IPv4-mapped IPv6 matches IPv4 ranges; junk never widens a list', () => {
  assert.equal(ipAllowed([], null), true);
  assert.equal(ipAllowed(['10.0.0.0/8'], '127.0.0.1'), false);
  assert.equal(ipAllowed(['10.0.0.0/8', '127.0.0.0/8'], '127.0.0.1'), true);
  assert.equal(ipAllowed(['127.0.0.1/32'], '::ffff:127.0.0.1'), true);
  assert.equal(ipAllowed(['2001:db8::/32'], '2001:db8:1::5'), true);
  assert.equal(ipAllowed(['not a range'], '10.0.0.1'), false);
  assert.equal(ipAllowed(['10.0.0.0/8'], null), false);
});

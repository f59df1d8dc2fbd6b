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

// A range typed in the IPv4-mapped form (as dual-stack logs print addresses) is the IPv4
// range it spells, prefix and all; an IPv6 range never matches an IPv4 client. Before,
// "::ffff:127.0.0.1/16" was kept as "::/16", which held the whole mapped space: every
// IPv4 address on the internet was allowed, and "::/0" allowed them too.
test('an IPv4-mapped range is the IPv4 range it spells; IPv6 ranges never admit IPv4 clients', () => {
  const normal = (text: string) => {
    const parsed = parseRange(text);
    return parsed.ok ? parsed.range : undefined;
  };
  assert.equal(normal('::ffff:127.0.0.1/112'), '127.0.0.0/16');
  assert.equal(normal('::ffff:203.0.113.7'), '203.0.113.7/32');
  assert.equal(normal('::FFFF:7f00:1/104'), '127.0.0.0/8');
  assert.equal(parseRange('::ffff:127.0.0.1/16').ok, false, 'a mapped address with a prefix shorter than its IPv4 part is refused');
  for (const client of ['127.0.5.5', '203.0.113.5', '8.8.8.8', '::ffff:8.8.8.8']) {
    assert.equal(ipAllowed(['::/16'], client), false, `::/16 and ${client}`);
    assert.equal(ipAllowed(['::/0'], client), false, `::/0 and ${client}`);
  }
  assert.equal(ipAllowed(['::/0'], '2001:db8::1'), true);
  const mapped = normal('::ffff:127.0.0.0/104') ?? '';
  assert.equal(ipAllowed([mapped], '127.0.5.5'), true);
  assert.equal(ipAllowed([mapped], '::ffff:127.0.5.5'), true);
  assert.equal(ipAllowed([mapped], '203.0.113.5'), false);
});

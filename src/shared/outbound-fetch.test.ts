import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reachable } from './outbound-fetch.ts';

test('only public unicast addresses are reachable, and the networks the operator allows', () => {
  const refused = [
    '127.0.0.1', '127.0.0.2', '0.0.0.0', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '192.0.2.1', '198.18.0.1', '224.0.0.1', '255.255.255.255',
    '::1', '::', 'fe80::1', 'fd00::1', 'fc00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::7f00:1', '::a00:1', '::ffff:0:7f00:1', '64:ff9b::a00:1', '2001:db8::1', '2002:7f00:1::1', 'ff02::1', 'not an address', '',
  ];
  for (const address of refused) assert.equal(reachable(address, []), false, address);
  for (const address of ['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) assert.equal(reachable(address, []), true, address);
  const allowed = ['10.20.0.0/16', '::1/128'];
  assert.equal(reachable('10.20.5.6', allowed), true);
  assert.equal(reachable('10.21.0.1', allowed), false);
  assert.equal(reachable('::1', allowed), true);
  assert.equal(reachable('127.0.0.1', allowed), false, 'IPv6 loopback allowed says nothing of IPv4 loopback');
});

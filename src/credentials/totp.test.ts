import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accountLabel, groupSecret, matchTotpStep, newTotpSecret, otpauthUri } from './totp.ts';

// RFC 6238 appendix B, SHA1 key "12345678901234567890", 8-digit values truncated to 6.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const vectors: Array<[number, string]> = [
  [59, '287082'],
  [1111111109, '081804'],
  [1234567890, '005924'],
  [2000000000, '279037'],
];

test('codes match the RFC 6238 test vectors', () => {
  for (const [seconds, code] of vectors) {
    assert.equal(matchTotpStep(RFC_SECRET, code, seconds * 1000), Math.floor(seconds / 30), `at ${seconds}s`);
  }
});

test('one step of drift is accepted either way, two are not', () => {
  const at = 1234567890 * 1000;
  assert.equal(matchTotpStep(RFC_SECRET, '005924', at + 30_000), Math.floor(1234567890 / 30));
  assert.equal(matchTotpStep(RFC_SECRET, '005924', at - 30_000), Math.floor(1234567890 / 30));
  assert.equal(matchTotpStep(RFC_SECRET, '005924', at + 60_000), null);
  assert.equal(matchTotpStep(RFC_SECRET, '005924', at - 60_000), null);
});

test('malformed codes never match', () => {
  for (const code of ['', '12345', '1234567', 'abcdef', '00592 4', '005924\n']) {
    assert.equal(matchTotpStep(RFC_SECRET, code, 1234567890 * 1000), null, JSON.stringify(code));
  }
});

test('secrets are 160 bits and differ every time', () => {
  const a = newTotpSecret();
  assert.equal(a.length, 32); // 20 bytes in base32
  assert.notEqual(a, newTotpSecret());
});

test('the otpauth URI names the issuer and a label with the company', () => {
  const uri = new URL(otpauthUri(RFC_SECRET, 'Acme <Ltd>', 'dana'));
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.host, 'totp');
  assert.equal(uri.searchParams.get('issuer'), 'Gatehouse');
  assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
  assert.equal(uri.searchParams.get('digits'), '6');
  assert.equal(uri.searchParams.get('period'), '30');
  assert.equal(decodeURIComponent(uri.pathname), `/Gatehouse:${accountLabel('Acme <Ltd>', 'dana')}`);
  assert.match(decodeURIComponent(uri.pathname), /Acme <Ltd>/);
});

test('the secret is grouped in fours for typing', () => {
  assert.equal(groupSecret('ABCDEFGHIJKLMNOP'), 'ABCD EFGH IJKL MNOP');
});

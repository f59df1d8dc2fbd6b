import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkNewPassword } from './password-policy.ts';

test('the seed rule: 8+ characters with lower, upper, number and symbol', async () => {
  for (const weak of ['Sh0rt!', 'alllowercase1!', 'ALLUPPERCASE1!', 'NoDigitsHere!', 'NoSymbols123abc']) {
    const verdict = await checkNewPassword(weak);
    assert.equal(verdict.ok, false, weak);
    assert.equal(verdict.ok === false && verdict.reason, 'too_weak', weak);
  }
});

test('common passwords that meet the rule are still refused', async () => {
  for (const common of ['Password1!', 'Welcome123!', 'Qwerty123!']) {
    const verdict = await checkNewPassword(common);
    assert.equal(verdict.ok === false && verdict.reason, 'too_common', common);
  }
});

test('the username and company name count as guessable', async () => {
  assert.equal((await checkNewPassword('Acmecorp2026!', undefined, { context: ['acmecorp'] })).ok, false);
  // A name in parts: whole, each part, and run together, however it is separated or typed.
  const namesAsPasswords: Array<[string, string]> = [['NorthwindTraders1!', 'Northwind Traders'], ['AnnaKowalska2026!', 'anna.kowalska'], ['Kowalska2026!', 'anna_kowalska'], ['ＡｃｍｅＣｏｒｐ2026!', 'Acme-Corp']];
  for (const [password, name] of namesAsPasswords) {
    assert.equal((await checkNewPassword(password, undefined, { context: [name] })).ok, false, `${password} for ${name}`);
  }
  // Unrelated words stay fine.
  assert.equal((await checkNewPassword('Velvet-Harbor-42!', undefined, { context: ['Northwind Traders', 'anna.kowalska'] })).ok, true);
});

test('strong passwords pass, up to 1024 characters, never truncated', async () => {
  assert.equal((await checkNewPassword('Velvet-Harbor-42!')).ok, true);
  const long = 'Aa1!' + 'x7Q#'.repeat(255); // 1024 characters
  assert.equal(long.length, 1024);
  assert.equal((await checkNewPassword(long)).ok, true);
  assert.equal((await checkNewPassword(long + 'y')).ok, false);
});

test('length is the code points of the normalized password, not UTF-16 units nor the characters as typed', async () => {
  // A horse is one code point and two UTF-16 units.
  const horses = (n: number) => `Velvet-Harbor-42!${'\u{1F40E}'.repeat(n)}`;
  assert.deepEqual(await checkNewPassword(horses(1007)), { ok: true }, '1024 code points');
  assert.equal((await checkNewPassword(horses(1008))).ok, false, '1025 code points');
  // U+FDFA is one character typed and 18 once normalized: 63 typed, 1032 normalized.
  const expanding = `Aa1!Zq${'\uFDFA'.repeat(57)}`;
  const verdict = await checkNewPassword(expanding);
  assert.equal(verdict.ok === false && verdict.message, 'Use at most 1024 characters.');
});

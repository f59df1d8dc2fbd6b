// A person's name in platform mail: one plain line, bounded, never link-like.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAIL_NAME_MAX, mailSafeName } from './templates.ts';

test('ordinary names pass unchanged; long ones are cut', () => {
  for (const name of ['Ann Doe', 'J. R. Smith', 'Zoë Ölander', 'Şükrü Kaya-Bey', '山田 太郎', 'Studio 54', 'A.B. Smith Ltd', 'Acme Inc.', 'Route 66 (Phase 2)', 'Version 1.6 Labs', '山田商事。']) {
    assert.equal(mailSafeName(name), name);
  }
  const cut = mailSafeName('A'.repeat(MAIL_NAME_MAX + 36));
  assert.ok(cut !== null && [...cut].length === MAIL_NAME_MAX && cut.endsWith('…'));
  assert.equal(mailSafeName(null), null);
});

test('anything link-like leaves the name out', () => {
  for (const name of ['https://evil.example', 'see www.evil', 'evil-example.com', 'mail boss@evil.example', 'ｅｖｉｌ．ｃｏｍ', 'x://y', 'Win at evil.example!']) {
    assert.equal(mailSafeName(name), null, name);
  }
});

test("anything a browser's address bar opens leaves the name out: every full stop it reads, a marked or odd letter before the dot, an IP address", () => {
  const opened = ['secure-login\u3002example', 'secure-login\uFF61example', 'Pay at evil\uFF0Eexample now', 'evil\u0332.com', 'evil_.com', '203.0.113.7/reset', '203.0.113.7', 'at 10.0.0.1:8080', '(evil\u3002example)', 'go to [2001:db8::1]'];
  for (const name of opened) assert.equal(mailSafeName(name), null, name);
  // The oracle: what the WHATWG URL parser (a browser's) makes of each as an address.
  for (const name of opened.slice(0, 6)) assert.match(new URL(`http://${name.split(' ').find((word) => /[.\u3002\uFF0E\uFF61]/u.test(word))}`).hostname, /\./);
});

test('property: the result is one bounded line without control, format or link-like text', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (name) => {
      const safe = mailSafeName(name);
      if (safe === null) return;
      assert.ok([...safe].length <= MAIL_NAME_MAX, safe);
      assert.ok(!/[\p{C}\r\n]/u.test(safe), JSON.stringify(safe));
      assert.ok(!/:\/\/|www\.|@|[\p{L}\p{N}-]\.[\p{L}]{2,}/iu.test(safe), safe);
      assert.equal(safe, safe.trim());
    }),
    { numRuns: 500 },
  );
});

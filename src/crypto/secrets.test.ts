import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSecretBox, generateSecretKey } from './secrets.ts';

test('a secret round-trips and the ciphertext names its version and key', () => {
  const box = createSecretBox([generateSecretKey()]);
  const sealed = box.encrypt('JBSWY3DPEHPK3PXP', 'totp:user-1');
  assert.match(sealed, /^v1:[0-9a-f]{8}:/);
  assert.ok(!sealed.includes('JBSWY3DPEHPK3PXP'));
  assert.equal(box.decrypt(sealed, 'totp:user-1'), 'JBSWY3DPEHPK3PXP');
});

test('a ciphertext moved to another row does not decrypt there', () => {
  const box = createSecretBox([generateSecretKey()]);
  const sealed = box.encrypt('secret', 'totp:user-1');
  assert.throws(() => box.decrypt(sealed, 'totp:user-2'));
});

test('tampering is detected', () => {
  const box = createSecretBox([generateSecretKey()]);
  const sealed = box.encrypt('secret', 'ctx');
  const flipped = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'B' : 'A') + sealed.slice(-1);
  assert.throws(() => box.decrypt(flipped, 'ctx'));
});

test('after a key rotation old values still read, new ones use the new key', () => {
  const oldKey = generateSecretKey();
  const newKey = generateSecretKey();
  const before = createSecretBox([oldKey]).encrypt('kept', 'ctx');
  const rotated = createSecretBox([newKey, oldKey]);
  assert.equal(rotated.decrypt(before, 'ctx'), 'kept');
  assert.notEqual(rotated.encrypt('x', 'ctx').split(':')[1], before.split(':')[1]);
});

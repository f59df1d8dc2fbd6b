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

test('tampering with any byte (IV, tag or body) is detected', () => {
  const box = createSecretBox([generateSecretKey()]);
  const sealed = box.encrypt('secret', 'ctx');
  const [version, keyId, body] = sealed.split(':') as [string, string, string];
  const raw = Buffer.from(body, 'base64url');
  // Flip one bit in every byte in turn, re-encoded canonically, so no spelling of the
  // base64 text can leave the bytes unchanged by accident.
  for (let i = 0; i < raw.length; i += 1) {
    const tampered = Buffer.from(raw);
    tampered[i] = (tampered[i] as number) ^ 0x01;
    const flipped = `${version}:${keyId}:${tampered.toString('base64url')}`;
    assert.throws(() => box.decrypt(flipped, 'ctx'), Error, `byte ${i} was not checked`);
  }
});

test('after a key rotation old values still read, new ones use the new key', () => {
  const oldKey = generateSecretKey();
  const newKey = generateSecretKey();
  const before = createSecretBox([oldKey]).encrypt('kept', 'ctx');
  const rotated = createSecretBox([newKey, oldKey]);
  assert.equal(rotated.decrypt(before, 'ctx'), 'kept');
  assert.notEqual(rotated.encrypt('x', 'ctx').split(':')[1], before.split(':')[1]);
});

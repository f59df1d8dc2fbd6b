// The secret box (src/crypto/secrets.ts): AES-256-GCM for secrets at rest and sealed
// cookies. What an attacker can try with a value: move it to another context, alter it,
// or cut its tag short so that fewer bits need guessing. None opens; the honest value
// does, also after a new key is put in front of the old one.
import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createSecretBox, openUnexpired, sealUntil } from '../../src/crypto/index.ts';

const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');
const box = createSecretBox([OLD_KEY]);

test('a sealed value opens in its own context only, and not once altered', () => {
  const sealed = box.encrypt('the totp seed', 'totp:user-1');
  assert.equal(box.decrypt(sealed, 'totp:user-1'), 'the totp seed');
  assert.throws(() => box.decrypt(sealed, 'totp:user-2'));
  const [version, keyId, body = ''] = sealed.split(':');
  for (const at of [0, 12, 20, body.length - 3]) {
    const altered = body.slice(0, at) + (body[at] === 'A' ? 'B' : 'A') + body.slice(at + 1);
    assert.throws(() => box.decrypt(`${version}:${keyId}:${altered}`, 'totp:user-1'), `altered at ${at}`);
  }
});

test('a value with its tag cut short does not open, even one made with the key', () => {
  // What a forger would send: GCM with a 4-byte tag needs only 2^32 guesses. Made here
  // with the real key, so only the tag's length can refuse it.
  const key = Buffer.from(OLD_KEY, 'base64');
  const keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 4 });
  cipher.setAAD(Buffer.from('oidc-interaction:abc'));
  const body = Buffer.concat([cipher.update('', 'utf8'), cipher.final()]);
  const short = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  assert.throws(() => box.decrypt(`v1:${keyId}:${short}`, 'oidc-interaction:abc'));
});

test('after a new key is put in front, old values still open and new ones use the new key', () => {
  const old = box.encrypt('queued mail', 'mail:1');
  const rotated = createSecretBox([NEW_KEY, OLD_KEY]);
  assert.equal(rotated.decrypt(old, 'mail:1'), 'queued mail');
  const fresh = rotated.encrypt('queued mail', 'mail:1');
  assert.notEqual(fresh.split(':')[1], old.split(':')[1], 'named by the new key');
  assert.throws(() => box.decrypt(fresh, 'mail:1'), 'a node without the new key cannot open it');
});

test('a value sealed with its expiry opens only unexpired, in its context, and only as a sealed value', () => {
  const sealed = sealUntil(box, JSON.stringify({ login: 'ada' }), 'oidc-interaction:abc', 2_000);
  assert.deepEqual(openUnexpired(box, sealed, 'oidc-interaction:abc', 1_999, 3_000), { login: 'ada' });
  assert.equal(openUnexpired(box, sealed, 'oidc-interaction:abc', 2_000, 3_000), undefined, 'expired at its expiry');
  assert.equal(openUnexpired(box, sealed, 'oidc-interaction:xyz', 1_000, 3_000), undefined, 'another sign-in');
  assert.equal(openUnexpired(box, sealed, 'oidc-interaction:abc', 1_000, sealed.length - 1), undefined, 'longer than allowed');
  assert.equal(openUnexpired(box, `${sealed};x`, 'oidc-interaction:abc', 1_000, 3_000), undefined, 'not a sealed value');
  assert.equal(openUnexpired(box, undefined, 'oidc-interaction:abc', 1_000, 3_000), undefined);
  const notAnObject = sealUntil(box, '"just text"', 'oidc-interaction:abc', 2_000);
  assert.equal(openUnexpired(box, notAnObject, 'oidc-interaction:abc', 1_000, 3_000), undefined, 'only an object is carried');
});

// Envelope for secrets at rest (TOTP seeds, queued mail): AES-256-GCM with a random
// 96-bit IV. The ciphertext names its key ("v1:<keyId>:..."), so a new key can be added
// and old values still read while they are re-encrypted.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export interface SecretBox {
  encrypt(plaintext: string, context: string): string;
  decrypt(ciphertext: string, context: string): string;
}

function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * `context` is bound as additional authenticated data (e.g. "totp:<userId>"), so a
 * ciphertext copied onto another row does not decrypt there.
 */
export function createSecretBox(keysBase64: string[]): SecretBox {
  const keys = keysBase64.map((k) => Buffer.from(k, 'base64'));
  if (keys.length === 0 || keys.some((k) => k.length !== 32)) throw new Error('secret keys must be 32 bytes');
  const byId = new Map(keys.map((k) => [keyIdOf(k), k]));
  const current = keys[0] as Buffer;
  const currentId = keyIdOf(current);
  return {
    encrypt(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
      return `${VERSION}:${currentId}:${sealed}`;
    },
    decrypt(ciphertext, context) {
      const [version, keyId, sealed] = ciphertext.split(':');
      const key = keyId ? byId.get(keyId) : undefined;
      if (version !== VERSION || !key || !sealed) throw new Error('unreadable secret (unknown version or key)');
      const raw = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

// The box writes `v1:<key id>:<base64url>`; a cookie carries it with its colons as dots
// (neither part has either), so the cookie's alphabet stays base64url and dots.

/** `plaintext` sealed under `context`, spelled for a cookie. */
export function sealForCookie(box: SecretBox, plaintext: string, context: string): string {
  return box.encrypt(plaintext, context).replaceAll(':', '.');
}

/** What sealForCookie sealed under `context`; throws when the value was altered, sealed under another context, or by a key no longer held. */
export function openFromCookie(box: SecretBox, value: string, context: string): string {
  return box.decrypt(value.replaceAll('.', ':'), context);
}

export function generateSecretKey(): string {
  return randomBytes(32).toString('base64');
}

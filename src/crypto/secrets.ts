// Envelope for secrets at rest (TOTP seeds, queued mail): AES-256-GCM with a random
// 96-bit IV. The ciphertext names its key ("v1:<keyId>:..."), so a new key can be added
// and old values still read while they are re-encrypted.
import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
/** GCM's full tag, and only it: a shorter one would be accepted otherwise, and easier to guess. */
const TAG_BYTES = 16;

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
  // Key objects made once: given a Buffer, every cipher would make one anew (a sealed
  // cookie is opened or made on most sign-in requests).
  const byId = new Map<string, KeyObject>(keys.map((k) => [keyIdOf(k), createSecretKey(k)]));
  const currentId = keyIdOf(keys[0] as Buffer);
  const current = byId.get(currentId) as KeyObject;
  return {
    encrypt(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
      return `${VERSION}:${currentId}:${sealed}`;
    },
    decrypt(ciphertext, context) {
      const [version, keyId, sealed] = ciphertext.split(':');
      const key = keyId ? byId.get(keyId) : undefined;
      if (version === VERSION && keyId && /^[0-9a-f]{8}$/.test(keyId) && sealed && !key) {
        // At start this is the one clue to a wrong or lost key: say so.
        throw new Error(`unreadable secret: sealed with key ${keyId}, not the secret key configured (GATEHOUSE_SECRET_KEY, or secret.key in the data folder)`);
      }
      if (version !== VERSION || !key || !sealed) throw new Error('unreadable secret (unknown version or key)');
      const raw = Buffer.from(sealed, 'base64url');
      if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('unreadable secret (too short)');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
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

/**
 * A value (its JSON text) sealed for a cookie with its expiry (epoch ms) inside, under
 * `context`: what a module sign-in carries in the browser (src/modules/oidc).
 */
export function sealUntil(box: SecretBox, valueJson: string, context: string, expiresAt: number): string {
  return sealForCookie(box, `[${expiresAt},${valueJson}]`, context);
}

/**
 * The object sealUntil sealed under `context`, while unexpired at `now`. Undefined when
 * there is none, it is longer than `maxLength` or not a sealed value's alphabet, or was
 * altered, sealed under another context, by a key no longer held, or has expired.
 */
export function openUnexpired(box: SecretBox, cookieValue: string | undefined, context: string, now: number, maxLength: number): Record<string, unknown> | undefined {
  if (!cookieValue || cookieValue.length > maxLength || !/^[A-Za-z0-9_.-]+$/.test(cookieValue)) return undefined;
  try {
    const [expiresAt, value] = JSON.parse(openFromCookie(box, cookieValue, context)) as [unknown, unknown];
    return typeof expiresAt === 'number' && expiresAt > now && value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function generateSecretKey(): string {
  return randomBytes(32).toString('base64');
}

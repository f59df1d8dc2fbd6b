// Random identifiers and bearer tokens. Tokens are shown once (in a link or a cookie)
// and stored only as their SHA-256: a database leak yields nothing usable.
import { createHmac, createSecretKey, hash, hkdfSync, randomBytes, randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';

export function newId(): string {
  return randomUUID();
}

/** 256 bits of randomness, URL-safe. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 in hex. Node's one-shot `hash`: a third of a Hash object's time, and no object. */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

export function randomBytesOf(length: number): Uint8Array {
  return new Uint8Array(randomBytes(length));
}

/** Compares secrets without leaking where they differ through timing. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = hash('sha256', a, 'buffer');
  const right = hash('sha256', b, 'buffer');
  return timingSafeEqual(left, right) && a.length === b.length;
}

/** A sub-key for one purpose (cookie signing, client secret hashing) from the master key. */
export function deriveKey(masterKeyBase64: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(masterKeyBase64, 'base64'), Buffer.alloc(0), `gatehouse:${purpose}`, 32));
}

/**
 * Keyed SHA-256 for secrets that must be cheap to check (client secrets at the token
 * endpoint): they are 256-bit random, so a slow hash adds nothing but latency. In
 * base64url (43 characters), a name only a holder of the key can derive (a login flow's).
 */
export function keyedHash(key: Buffer, value: string, encoding: 'hex' | 'base64url' = 'hex'): string {
  return createHmac('sha256', hmacKey(key)).update(value, 'utf8').digest(encoding);
}

/**
 * Whether `value`'s keyed hash is `expectedHex` (what keyedHash stored), in constant time:
 * the client secret check at the token endpoint. Both are 32-byte digests, compared as
 * bytes, without constantTimeEqual's two extra hashes (its inputs may differ in length).
 */
export function keyedHashMatches(key: Buffer, value: string, expectedHex: string): boolean {
  const actual = createHmac('sha256', hmacKey(key)).update(value, 'utf8').digest();
  // A stored value that is not 64 hex digits decodes short (or is refused here) and never matches.
  if (expectedHex.length !== 2 * actual.length) return false;
  const expected = Buffer.from(expectedHex, 'hex');
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}

// createHmac with a Buffer builds a KeyObject from it on every call, which cost more than
// the HMAC itself (5 to 7% of a client-credentials request's CPU). Each derived key is
// made once and kept by its holder, so its KeyObject is made once too. Keyed by the Buffer
// object, and the key bytes are copied into the KeyObject: a key must not be changed in
// place after first use (none is: derived keys are never written to).
const hmacKeys = new WeakMap<Buffer, KeyObject>();
function hmacKey(key: Buffer): KeyObject {
  let object = hmacKeys.get(key);
  if (!object) hmacKeys.set(key, (object = createSecretKey(key)));
  return object;
}

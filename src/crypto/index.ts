// The crypto door: the only folder that touches hashing and encryption primitives.
export { createPasswordHasher, HashNotStarted, MAX_PASSWORD_LENGTH, type HashCost, type PasswordHasher } from './passwords.ts';
export { createSecretBox, generateSecretKey, openFromCookie, openUnexpired, sealForCookie, sealUntil, type SecretBox } from './secrets.ts';
export { constantTimeEqual, deriveKey, hashToken, keyedHash, keyedHashMatches, newId, randomBytesOf, randomToken } from './tokens.ts';
export { generateSigningJwk, type PrivateJwk, type SigningAlg } from './signing.ts';
export { describeCertificate, type CertificateSummary } from './certificates.ts';

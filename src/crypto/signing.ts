// Asymmetric signing keys for ID tokens, as private JWKs.
import { generateKeyPairSync, randomUUID, type JsonWebKey } from 'node:crypto';

export type SigningAlg = 'RS256' | 'ES256';
export type PrivateJwk = JsonWebKey & { kid: string; alg: SigningAlg; use: 'sig' };

export function generateSigningJwk(alg: SigningAlg): PrivateJwk {
  const { privateKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg, use: 'sig' };
}

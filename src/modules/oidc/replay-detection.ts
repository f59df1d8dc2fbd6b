// Proofs that may be used once: a DPoP proof (RFC 9449 §11.1, which discovery advertises)
// and a client assertion, remembered by their `jti` until they could no longer be accepted.
// oidc-provider's ReplayDetection.unique looks the record up, then saves it: two requests
// carrying the same proof can both find nothing and both be let through (seen: two of
// twelve copies sent to userinfo at once on PostgreSQL; several at the token endpoint on
// both databases, where the save waited in the request's write batch). Here the proof is
// remembered at once, by one statement outside any batch, which writes a row only for a
// first use (or over a record whose time is up), and the proof is new only if it did. The
// same rule as every other single-use thing.
import { createHash } from 'node:crypto';
import type { Provider } from 'oidc-provider';
import type { Clock } from '../../shared/clock.ts';
import type { Queryable } from '../../storage/index.ts';
import { storedId } from './stored-ids.ts';

const MODEL = 'ReplayDetection';

/** True for the first use of proof `jti` from `issuer` (a client id) until `expiresAtS` (epoch seconds); false for any other. */
async function firstUse(db: Queryable, clock: Clock, issuer: string, jti: string, expiresAtS: number): Promise<boolean> {
  // The record's id as oidc-provider names it: a proof's jti is the client's to choose. It is
  // already a hash, and stored as it is (stored-ids.ts).
  const id = storedId(MODEL, createHash('sha256').update(`${issuer}${jti}`).digest('base64url'));
  const now = clock();
  // How long oidc-provider asks it to be kept, counted on Gatehouse's clock as every record's expiry is.
  const expiresAt = now + Math.max(1, expiresAtS - Math.floor(Date.now() / 1000)) * 1000;
  const payload = JSON.stringify({ iss: issuer, jti: id, kind: MODEL, iat: Math.floor(now / 1000), exp: Math.floor(expiresAt / 1000) });
  const written = await db
    .insertInto('oidc_records')
    .values({ model: MODEL, id, payload, grant_id: null, user_code: null, uid: null, account_id: null, expires_at: expiresAt, consumed_at: null })
    .onConflict((oc) =>
      oc
        .columns(['model', 'id'])
        .doUpdateSet((eb) => ({ payload: eb.ref('excluded.payload'), expires_at: eb.ref('excluded.expires_at') }))
        .where('oidc_records.expires_at', '<=', now),
    )
    .executeTakeFirst();
  return Number(written.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** The provider's single-use check, made atomic (above). */
export function rememberProofsAtomically(provider: Provider, db: Queryable, clock: Clock): void {
  (provider.ReplayDetection as unknown as { unique: (issuer: string, jti: string, expiresAtS: number) => Promise<boolean> }).unique = (issuer, jti, expiresAtS) =>
    firstUse(db, clock, issuer, jti, expiresAtS);
}

// ID token signing keys: generated once, kept encrypted in the database (so every node
// signs with the same keys), and rotated by `gatehouse keys rotate`. A retired key stays
// published in the JWKS for a grace period, so tokens signed before the rotation still
// verify; only then is it removed. `keys rotate --now` removes the previous keys at once,
// for a key that may have leaked. Every rotation is audited as `signing_keys.rotated`.
import { recordAudit, type AuditEvent } from '../audit/index.ts';
import { generateSigningJwk, type PrivateJwk, type SecretBox } from '../crypto/index.ts';
import type { Queryable } from '../storage/index.ts';
import type { SigningKeysTable } from '../storage/schema.ts';

export const RETIRED_KEY_GRACE_MS = 24 * 3_600_000;
const ALGORITHMS = ['RS256', 'ES256'] as const;

type Alg = SigningKeysTable['alg'];
export type { PrivateJwk };

async function insertKey(db: Queryable, secrets: SecretBox, alg: Alg, now: number): Promise<string> {
  const jwk = generateSigningJwk(alg);
  await db
    .insertInto('signing_keys')
    .values({
      kid: jwk.kid,
      alg,
      private_jwk: secrets.encrypt(JSON.stringify(jwk), `signing-key:${jwk.kid}`),
      status: 'active',
      created_at: now,
      retired_at: null,
    })
    .execute();
  return jwk.kid;
}

/** Makes sure one active key per algorithm exists (first start). */
export async function ensureSigningKeys(db: Queryable, secrets: SecretBox, now: number) {
  await db.transaction().execute(async (tx) => {
    const active = await tx.selectFrom('signing_keys').select('alg').where('status', '=', 'active').execute();
    for (const alg of ALGORITHMS) {
      if (!active.some((k) => k.alg === alg)) await insertKey(tx, secrets, alg, now);
    }
  });
}

/**
 * New active keys. Routinely the previous ones are retired but still published for the
 * grace period, so tokens they signed keep verifying. With `dropPrevious` (a key that may
 * have leaked) every previous key is deleted at once: nothing it signed verifies any
 * more, and nodes stop publishing it at their next key check. Returns the kids dropped.
 * Audited as `signing_keys.rotated` in the same transaction, naming key ids only (never
 * key material), so the trail shows when tokens stopped verifying and who caused it; `by`
 * is who asked (the CLI), no actor when omitted.
 */
export async function rotateSigningKeys(
  db: Queryable,
  secrets: SecretBox,
  now: number,
  options: { dropPrevious?: boolean; by?: Pick<AuditEvent, 'actorId' | 'ip' | 'userAgent'> } = {},
) {
  return db.transaction().execute(async (tx) => {
    const dropPrevious = options.dropPrevious === true;
    let retired: string[] = [];
    let dropped: string[];
    if (dropPrevious) {
      dropped = (await tx.deleteFrom('signing_keys').returning('kid').execute()).map((row) => row.kid);
    } else {
      retired = (
        await tx.updateTable('signing_keys').set({ status: 'retired', retired_at: now }).where('status', '=', 'active').returning('kid').execute()
      ).map((row) => row.kid);
      dropped = (
        await tx.deleteFrom('signing_keys').where('status', '=', 'retired').where('retired_at', '<', now - RETIRED_KEY_GRACE_MS).returning('kid').execute()
      ).map((row) => row.kid);
    }
    const added: string[] = [];
    for (const alg of ALGORITHMS) added.push(await insertKey(tx, secrets, alg, now));
    await recordAudit(tx, now, {
      companyId: null,
      actorId: options.by?.actorId ?? null,
      ip: options.by?.ip ?? null,
      userAgent: options.by?.userAgent ?? null,
      action: 'signing_keys.rotated',
      detail: { dropPrevious, retired, dropped, added },
    });
    return { dropped };
  });
}

/**
 * The key set for the provider: active keys first (RS256 first: the default ID token
 * algorithm), then retired keys still in their grace period (verify-only in practice).
 */
export async function loadSigningKeys(db: Queryable, secrets: SecretBox, now: number) {
  const rows = await db
    .selectFrom('signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('status', '=', 'active'), eb('retired_at', '>=', now - RETIRED_KEY_GRACE_MS)]))
    .orderBy('created_at', 'desc')
    .execute();
  const rank = (row: (typeof rows)[number]) => (row.status === 'active' ? 0 : 2) + (row.alg === 'RS256' ? 0 : 1);
  rows.sort((a, b) => rank(a) - rank(b));
  return {
    keys: rows.map((row) => JSON.parse(secrets.decrypt(row.private_jwk, `signing-key:${row.kid}`)) as PrivateJwk),
    version: rows.map((row) => `${row.kid}:${row.status}`).join(','),
  };
}

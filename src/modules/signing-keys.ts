// ID token signing keys: generated once, kept encrypted in the database (so every node
// signs with the same keys), and rotated by `gatehouse keys rotate`. A routine rotation
// publishes the new keys at once but signs with them only from their activation time
// (KEY_ACTIVATION_DELAY_MS later): by then every node has published them and every key set
// a verifier cached without them has expired, so no token carries a key a verifier cannot
// find. A retired key stays published for a grace period after it stopped signing, so
// tokens signed before still verify; only then is it removed. `keys rotate --now` removes
// the previous keys at once and signs with the new ones at once, for a key that may have
// leaked. Every rotation is audited as `signing_keys.rotated`.
import { recordAudit, type AuditEvent } from '../audit/index.ts';
import { generateSigningJwk, type PrivateJwk, type SecretBox } from '../crypto/index.ts';
import type { Queryable } from '../storage/index.ts';
import type { SigningKeysTable } from '../storage/schema.ts';

/** How often each node re-reads the key set (its provider is rebuilt when it changed). */
export const KEY_CHECK_MS = 60_000;
/** How long verifiers and proxies may keep the key set (`/oidc/jwks`, Cache-Control max-age). */
export const JWKS_MAX_AGE_S = 60;
/**
 * From a routine rotation to the new keys' first signature: one key check on every node
 * (publishing them), one JWKS lifetime (key sets fetched before expire), and a minute for
 * clocks that disagree.
 */
export const KEY_ACTIVATION_DELAY_MS = KEY_CHECK_MS + JWKS_MAX_AGE_S * 1000 + 60_000;
export const RETIRED_KEY_GRACE_MS = 24 * 3_600_000;
const ALGORITHMS = ['RS256', 'ES256'] as const;

type Alg = SigningKeysTable['alg'];
export type { PrivateJwk };

async function insertKey(db: Queryable, secrets: SecretBox, alg: Alg, now: number, activatesAt: number): Promise<string> {
  const jwk = generateSigningJwk(alg);
  await db
    .insertInto('signing_keys')
    .values({
      kid: jwk.kid,
      alg,
      private_jwk: secrets.encrypt(JSON.stringify(jwk), `signing-key:${jwk.kid}`),
      status: 'active',
      created_at: now,
      activates_at: activatesAt,
      retired_at: null,
    })
    .execute();
  return jwk.kid;
}

/** Makes sure one active key per algorithm exists (first start): it signs at once, nothing else could. */
export async function ensureSigningKeys(db: Queryable, secrets: SecretBox, now: number) {
  await db.transaction().execute(async (tx) => {
    const active = await tx.selectFrom('signing_keys').select('alg').where('status', '=', 'active').execute();
    for (const alg of ALGORITHMS) {
      if (!active.some((k) => k.alg === alg)) await insertKey(tx, secrets, alg, now, now);
    }
  });
}

/**
 * New active keys. Routinely they are published at once and sign from `activatesAt`
 * (now + KEY_ACTIVATION_DELAY_MS); the previous ones keep signing until then, are retired
 * as of then, and stay published for the grace period after, so tokens they signed keep
 * verifying. With `dropPrevious` (a key that may have leaked) every previous key is
 * deleted at once and the new keys sign at once: nothing the old keys signed verifies any
 * more, and nodes stop publishing them (and start signing with the new ones) at their next
 * key check. Returns the kids dropped and when the new keys sign.
 * Audited as `signing_keys.rotated` in the same transaction, naming key ids only (never
 * key material), so the trail shows when tokens stopped verifying and who caused it; `by`
 * is who asked (the CLI), no actor when omitted.
 */
export async function rotateSigningKeys(db: Queryable, secrets: SecretBox, now: number, options: RotationOptions = {}) {
  return db.transaction().execute((tx) => rotateSigningKeysIn(tx, secrets, now, options));
}

type RotationOptions = { dropPrevious?: boolean; by?: Pick<AuditEvent, 'actorId' | 'ip' | 'userAgent'> };

/**
 * rotateSigningKeys inside a transaction the caller holds: replacing a lost secret key
 * (src/lost-secret-key.ts) drops the keys it sealed with everything else it sealed. The
 * previous keys are never opened, so this works whatever key sealed them.
 */
export async function rotateSigningKeysIn(tx: Queryable, secrets: SecretBox, now: number, options: RotationOptions = {}) {
  const dropPrevious = options.dropPrevious === true;
  const activatesAt = dropPrevious ? now : now + KEY_ACTIVATION_DELAY_MS;
  let retired: string[] = [];
  let dropped: string[];
  if (dropPrevious) {
    dropped = (await tx.deleteFrom('signing_keys').returning('kid').execute()).map((row) => row.kid);
  } else {
    retired = (
      await tx.updateTable('signing_keys').set({ status: 'retired', retired_at: activatesAt }).where('status', '=', 'active').returning('kid').execute()
    ).map((row) => row.kid);
    dropped = (
      await tx.deleteFrom('signing_keys').where('status', '=', 'retired').where('retired_at', '<', now - RETIRED_KEY_GRACE_MS).returning('kid').execute()
    ).map((row) => row.kid);
  }
  const added: string[] = [];
  for (const alg of ALGORITHMS) added.push(await insertKey(tx, secrets, alg, now, activatesAt));
  await recordAudit(tx, now, {
    companyId: null,
    actorId: options.by?.actorId ?? null,
    ip: options.by?.ip ?? null,
    userAgent: options.by?.userAgent ?? null,
    action: 'signing_keys.rotated',
    detail: { dropPrevious, retired, dropped, added, activatesAt },
  });
  return { dropped, added, activatesAt };
}

/**
 * The key set for the provider: every key not retired past its grace period is published.
 * Per algorithm the signing key comes first (oidc-provider signs with the first key of an
 * algorithm): the newest whose activation time has passed (RS256 first: the default ID
 * token algorithm); the others (not yet active, or retired) only verify. `version` changes
 * when a key is added, removed or starts signing, so a node rebuilds its provider then.
 */
export async function loadSigningKeys(db: Queryable, secrets: SecretBox, now: number) {
  const rows = await db
    .selectFrom('signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('status', '=', 'active'), eb('retired_at', '>=', now - RETIRED_KEY_GRACE_MS)]))
    .orderBy('activates_at', 'desc')
    .orderBy('created_at', 'desc')
    .execute();
  const signing = new Set<string>();
  for (const alg of ALGORITHMS) {
    const ofAlg = rows.filter((row) => row.alg === alg);
    // None active yet cannot follow from a rotation; should it happen, the first to activate signs.
    const chosen = ofAlg.find((row) => row.activates_at <= now) ?? ofAlg.at(-1);
    if (chosen) signing.add(chosen.kid);
  }
  const rank = (row: (typeof rows)[number]) => (signing.has(row.kid) ? 0 : 2) + (row.alg === 'RS256' ? 0 : 1);
  rows.sort((a, b) => rank(a) - rank(b));
  return {
    keys: rows.map((row) => JSON.parse(secrets.decrypt(row.private_jwk, `signing-key:${row.kid}`)) as PrivateJwk),
    signing: rows.filter((row) => signing.has(row.kid)).map((row) => row.kid),
    version: rows.map((row) => `${row.kid}:${signing.has(row.kid) ? 'signing' : 'published'}`).join(','),
  };
}

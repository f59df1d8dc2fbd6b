// Requests sent to a provider: a SAML AuthnRequest ID or an OIDC state, stored server
// side, bound to the login flow (one per flow) or the Master's test that made it, and
// consumed once, atomically, when the provider answers. Assertion ids already accepted
// are kept until they expire, so a replayed assertion is refused even if it names no
// request.
import type { Queryable } from '../storage/index.ts';
import type { SsoRequestsTable } from '../storage/schema.ts';
import { sweepPacer } from '../storage/sweep-pacer.ts';

/** How long the provider has to answer: a person may need to sign in there first. */
export const REQUEST_TTL_MS = 10 * 60_000;

export type SsoRequest = SsoRequestsTable;

const sweepDue = sweepPacer();

/**
 * Stores a request to the provider. A login flow holds one at most: its new request is
 * written over its earlier one (pending, used or expired) in this one statement, on the
 * unique (company_id, flow_hash) of migration 0021, so the request the flow made before
 * answers nothing from then on. "Forget the earlier, then add" was two statements, and
 * Continues racing for one flow each added theirs. Whichever of racing Continues writes
 * last is the flow's request, as a repeated Continue's is; a Test sign-in (no flow) is a
 * row of its own.
 */
export async function saveRequest(db: Queryable, row: Omit<SsoRequest, 'used_at' | 'result' | 'expires_at' | 'created_at'>, now: number) {
  // Expired requests and assertion ids are only clutter: swept on the way, once a minute.
  if (sweepDue(now)) {
    await db.deleteFrom('sso_requests').where('expires_at', '<', now - REQUEST_TTL_MS).execute();
    await db.deleteFrom('sso_assertions').where('expires_at', '<', now).execute();
  }
  await db
    .insertInto('sso_requests')
    .values({ ...row, used_at: null, result: null, expires_at: now + REQUEST_TTL_MS, created_at: now })
    .onConflict((oc) =>
      oc.columns(['company_id', 'flow_hash']).doUpdateSet((eb) => ({
        id: eb.ref('excluded.id'),
        provider_id: eb.ref('excluded.provider_id'),
        purpose: eb.ref('excluded.purpose'),
        session_hash: eb.ref('excluded.session_hash'),
        nonce: eb.ref('excluded.nonce'),
        code_verifier: eb.ref('excluded.code_verifier'),
        result: eb.ref('excluded.result'),
        expires_at: eb.ref('excluded.expires_at'),
        used_at: eb.ref('excluded.used_at'),
        created_at: eb.ref('excluded.created_at'),
      })),
    )
    .execute();
}

/** Takes the request: exactly one caller gets the row, however many race. */
export async function consumeRequest(db: Queryable, companyId: string, id: string, now: number): Promise<SsoRequest | undefined> {
  return db
    .updateTable('sso_requests')
    .set({ used_at: now })
    .where('id', '=', id)
    .where('company_id', '=', companyId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Whether a request taken before its answer was checked (an OpenID Connect callback takes
 * it, then redeems the code at the provider) still stands, its row locked (a write that
 * changes nothing). A provider switched off, or on again, edited or removed meanwhile
 * deleted it (settings.ts, providers.ts), and a Continue in the same login replaced it
 * (saveRequest): the answer then counts for nothing, however the provider stands by the
 * time it is redeemed.
 */
export async function takenRequestStands(db: Queryable, companyId: string, id: string): Promise<boolean> {
  const held = await db
    .updateTable('sso_requests')
    .set((eb) => ({ used_at: eb.ref('used_at') }))
    .where('id', '=', id)
    .where('company_id', '=', companyId)
    .where('used_at', 'is not', null)
    .executeTakeFirst();
  return Number(held.numUpdatedRows) === 1;
}

/** False when this provider's assertion id was accepted before (a replay). */
export async function rememberAssertion(db: Queryable, providerId: string, assertionId: string, expiresAt: number): Promise<boolean> {
  // ON CONFLICT DO NOTHING rather than catching the violation: on PostgreSQL an error
  // would abort the surrounding transaction.
  const inserted = await db
    .insertInto('sso_assertions')
    .values({ provider_id: providerId, assertion_id: assertionId, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(['provider_id', 'assertion_id']).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function storeTestResult(db: Queryable, id: string, result: unknown) {
  await db.updateTable('sso_requests').set({ result: JSON.stringify(result) }).where('id', '=', id).execute();
}

// Requests sent to a provider: a SAML AuthnRequest ID or an OIDC state, stored server
// side, bound to the login flow (or the Master's test) that made it, and consumed once,
// atomically, when the provider answers. Assertion ids already accepted are kept until
// they expire, so a replayed assertion is refused even if it names no request.
import type { Queryable } from '../storage/index.ts';
import type { SsoRequestsTable } from '../storage/schema.ts';
import { sweepPacer } from '../storage/sweep-pacer.ts';

/** How long the provider has to answer: a person may need to sign in there first. */
export const REQUEST_TTL_MS = 10 * 60_000;

export type SsoRequest = SsoRequestsTable;

const sweepDue = sweepPacer();

export async function saveRequest(db: Queryable, row: Omit<SsoRequest, 'used_at' | 'result' | 'expires_at' | 'created_at'>, now: number) {
  // Expired requests and assertion ids are only clutter: swept on the way, once a minute.
  if (sweepDue(now)) {
    await db.deleteFrom('sso_requests').where('expires_at', '<', now - REQUEST_TTL_MS).execute();
    await db.deleteFrom('sso_assertions').where('expires_at', '<', now).execute();
  }
  await db
    .insertInto('sso_requests')
    .values({ ...row, used_at: null, result: null, expires_at: now + REQUEST_TTL_MS, created_at: now })
    .execute();
}

/** The request an answer claims to respond to, unconsumed and unexpired (not consumed yet). */
/** A login flow's requests to the provider so far, forgotten before its next: one pending request per flow, at most. */
export async function forgetEarlierRequests(db: Queryable, companyId: string, flowHash: string) {
  await db.deleteFrom('sso_requests').where('company_id', '=', companyId).where('purpose', '=', 'login').where('flow_hash', '=', flowHash).execute();
}

export async function pendingRequest(db: Queryable, companyId: string, id: string, now: number) {
  return db
    .selectFrom('sso_requests')
    .selectAll()
    .where('id', '=', id)
    .where('company_id', '=', companyId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
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

// Invitation emails go out under the platform's mail domain with a company's name and an
// inviter's display name in them, so they are rate limited: per inviter per hour and per
// company per day (GATEHOUSE_INVITES_PER_INVITER_HOUR, GATEHOUSE_INVITES_PER_COMPANY_DAY).
// Each email sent is a row in invitation_mail, written in the transaction that queues the
// email; the count and the insert are made race-safe by locking the company's row first
// (lockInvitingCompany), which also refuses an invitation into a suspended company.
import { newId } from '../crypto/index.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../storage/index.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const KEPT_MS = 8 * DAY_MS; // the operator's view goes back seven days

export interface InviteLimits {
  perInviterHour: number;
  perCompanyDay: number;
}

async function countSince(tx: Queryable, companyId: string, since: number, inviterId?: string): Promise<number> {
  let query = tx
    .selectFrom('invitation_mail')
    .select((eb) => eb.fn.countAll<number | string>().as('sent'))
    .where('company_id', '=', companyId)
    .where('sent_at', '>', since);
  if (inviterId !== undefined) query = query.where('inviter_id', '=', inviterId);
  return Number((await query.executeTakeFirst())?.sent ?? 0);
}

/**
 * First in every invitation's transaction (single, bulk, resend; console and API), and in
 * the welcome's resend (resendWelcome, src/companies/onboarding.ts): the company's row
 * locked by a no-op update (SQLite transactions already hold the write lock), and only
 * while the company is active. False, with nothing locked or written, when it is not. A
 * suspension (src/companies/suspension.ts) updates the same row before it revokes the
 * company's unused links, so an invitation either commits first, and the
 * suspension's revokeLiveLinks revokes its link, or comes after it and finds the company
 * suspended. On PostgreSQL an invitation that waited for the suspension's lock sees the
 * row the suspension committed: under READ COMMITTED the update checks its WHERE again
 * against that version and matches nothing. Before, the guard's read of the session (or
 * of the API client) was all, and an invitation raced in during a suspension kept a link
 * that worked again once the company was reactivated.
 */
export async function lockInvitingCompany(tx: Queryable, companyId: string): Promise<boolean> {
  const locked = await tx
    .updateTable('companies')
    .set((eb) => ({ status: eb.ref('status') }))
    .where('id', '=', companyId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Number(locked.numUpdatedRows) === 1;
}

/**
 * Takes one invitation email from the quotas, or throws invite.rate_limited (nothing is
 * sent, and the caller's transaction rolls back whatever it did). Call it in a transaction
 * that has locked the company's row (lockInvitingCompany), so parallel invitations of one
 * company count one another and can never exceed the limits together.
 */
export async function takeInvitationQuota(tx: Queryable, limits: InviteLimits, who: { companyId: string; inviterId: string }, now: number) {
  const byInviter = await countSince(tx, who.companyId, now - HOUR_MS, who.inviterId);
  const byCompany = await countSince(tx, who.companyId, now - DAY_MS);
  if (byInviter >= limits.perInviterHour || byCompany >= limits.perCompanyDay) throw new GatehouseError('invite.rate_limited');
  await tx.insertInto('invitation_mail').values({ id: newId(), company_id: who.companyId, inviter_id: who.inviterId, sent_at: now }).execute();
  await tx.deleteFrom('invitation_mail').where('company_id', '=', who.companyId).where('sent_at', '<', now - KEPT_MS).execute();
}

/** Invitation emails per company in the last 24 hours and 7 days, for the operator: of these companies (a page of the list). */
export async function invitationVolume(db: Queryable, now: number, companyIds: readonly string[]): Promise<Map<string, { last24h: number; last7d: number }>> {
  if (companyIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('invitation_mail')
    .select((eb) => [
      'company_id',
      eb.fn.countAll<number | string>().as('week'),
      eb.fn.sum<number | string>(eb.case().when('sent_at', '>', now - DAY_MS).then(1).else(0).end()).as('day'),
    ])
    .where('company_id', 'in', companyIds)
    .where('sent_at', '>', now - 7 * DAY_MS)
    .groupBy('company_id')
    .execute();
  return new Map(rows.map((row) => [row.company_id, { last24h: Number(row.day ?? 0), last7d: Number(row.week) }]));
}

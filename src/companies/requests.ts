// Company account requests: submitted by the public form or by an operator, decided by
// an operator. The seed promises an answer "within 24 to 48 hours", so each request
// carries its age and an urgency the console can show.
import { newId } from '../crypto/index.ts';
import { GatehouseError } from '../errors.ts';
import { afterKey, containing, isUniqueViolation, type ListPage, type Queryable, type RateCap } from '../storage/index.ts';
import { spendRateSlot } from '../storage/index.ts';
import type { AccountRequestsTable } from '../storage/schema.ts';
import { caseKey, nameKey, tidyName } from '../shared/text.ts';
import { assertCompanyName, companyNameTaken } from './store.ts';

const HOUR_MS = 3_600_000;

export interface AccountRequestInput {
  companyName: string;
  contactName: string;
  email: string;
  phone: string;
  note?: string | undefined;
}

export type Urgency = 'new' | 'due' | 'overdue';

/** The public form's cap: `perHour` requests an hour from one client network (src/shared/client-network.ts). */
export const accountRequestCap = (network: string, perHour: number): RateCap => ({ key: `account-requests:${network}`, limit: perHour, windowMs: HOUR_MS });

export function urgencyOf(ageMs: number): Urgency {
  if (ageMs >= 48 * HOUR_MS) return 'overdue';
  if (ageMs >= 24 * HOUR_MS) return 'due';
  return 'new';
}

export async function submitAccountRequest(
  db: Queryable,
  input: AccountRequestInput,
  source: 'public' | 'operator',
  now: number,
  /** The public form's cap per client network: spent before the name is looked up, refused or not. */
  cap?: RateCap,
): Promise<AccountRequestsTable> {
  // The form's own checks come first and take no slot: they look nothing up, so their
  // refusal tells nothing that the request itself did not say.
  assertCompanyName(input.companyName);
  // From here every answer but 201 says something about names (409 company.name_taken: a
  // company or a pending request has it), so the slot is spent for good before the lookup
  // (spendRateSlot, committed on its own): a refused request counts like an accepted one.
  // It once rode in the insert's transaction and a refusal rolled it back, which left
  // probing which companies exist unlimited. The race the insert loses to another pending
  // request (the unique index, below) is the same refusal, and counts the same. An admitted
  // request that then fails on our side (500, 503) keeps its slot spent too: rare, and one
  // rule for every answer leaves nothing to tell apart.
  if (cap && !(await spendRateSlot(db, cap, now))) throw new GatehouseError('account_request.rate_limited');
  if (await companyNameTaken(db, input.companyName)) throw new GatehouseError('company.name_taken');
  const row: AccountRequestsTable = {
    id: newId(),
    company_name: tidyName(input.companyName),
    name_key: nameKey(input.companyName),
    case_key: caseKey(input.companyName),
    contact_name: tidyName(input.contactName),
    email: input.email,
    phone: input.phone,
    note: input.note?.trim() || null,
    source,
    status: 'pending',
    reject_reason: null,
    company_id: null,
    decided_by: null,
    decided_at: null,
    created_at: now,
  };
  try {
    await db.insertInto('account_requests').values(row).execute();
  } catch (error) {
    // The partial unique index: another pending request has this name.
    if (isUniqueViolation(error)) throw new GatehouseError('company.name_taken', { cause: error });
    throw error;
  }
  // Looked up again once stored: an approval of another request with this name may have
  // committed between the lookup above and the insert (which, on PostgreSQL, waited for it
  // on the pending-name index and then found that request no longer pending). Kept, this
  // request could never be approved; it is taken back and refused as the lookup refuses.
  if (await companyNameTaken(db, input.companyName)) {
    await db.deleteFrom('account_requests').where('id', '=', row.id).where('status', '=', 'pending').execute();
    throw new GatehouseError('company.name_taken');
  }
  return row;
}

/** A page of requests in list order (after a request's time and id); `search` is in the company name or the contact's email. */
export type RequestPage = ListPage;
type RequestFilter = AccountRequestsTable['status'] | 'all';

function requestsMatching(db: Queryable, status: RequestFilter, search: string | undefined) {
  let query = db.selectFrom('account_requests');
  if (status !== 'all') query = query.where('status', '=', status);
  if (search) query = query.where(containing(['company_name', 'email'], search));
  return query;
}

export async function listAccountRequests(db: Queryable, status: RequestFilter, now: number, page: RequestPage) {
  // Pending work is read oldest first (the most urgent on top); history newest first.
  const direction = status === 'pending' ? 'asc' : 'desc';
  let query = requestsMatching(db, status, page.search).selectAll().orderBy('created_at', direction).orderBy('id', direction);
  if (page.after !== undefined) query = query.where(afterKey({ time: 'created_at', id: 'id' }, page.after, direction));
  const rows = await query.limit(page.limit).execute();
  return rows.map((row) => ({
    ...row,
    ageMs: now - row.created_at,
    urgency: row.status === 'pending' ? urgencyOf(now - row.created_at) : ('new' as Urgency),
  }));
}

/** How many requests the list holds with this filter, over all its pages. */
export async function countAccountRequests(db: Queryable, status: RequestFilter, search?: string) {
  const row = await requestsMatching(db, status, search).select((eb) => eb.fn.countAll<number | string>().as('total')).executeTakeFirstOrThrow();
  return Number(row.total);
}

/** Marks a pending request decided; undefined when someone else decided it first. */
export async function claimPendingRequest(
  db: Queryable,
  requestId: string,
  decision: { status: 'approved' | 'rejected'; operatorId: string; reason?: string },
  now: number,
) {
  return db
    .updateTable('account_requests')
    .set({
      status: decision.status,
      decided_by: decision.operatorId,
      decided_at: now,
      reject_reason: decision.reason ?? null,
    })
    .where('id', '=', requestId)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
}

export async function getAccountRequest(db: Queryable, requestId: string) {
  return db.selectFrom('account_requests').selectAll().where('id', '=', requestId).executeTakeFirst();
}

export async function linkRequestToCompany(db: Queryable, requestId: string, companyId: string) {
  await db.updateTable('account_requests').set({ company_id: companyId }).where('id', '=', requestId).execute();
}

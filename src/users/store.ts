// User rows. Every lookup takes companyId first: there is no way to fetch a user
// without naming its company, so one tenant can never reach another's users by id.
import { newId } from '../crypto/index.ts';
import { isUniqueViolation, type Queryable } from '../storage/index.ts';
import { sql, type ExpressionBuilder, type QueryCreator, type RawBuilder, type Selectable } from 'kysely';
import type { Database, UsersTable } from '../storage/schema.ts';
import { GatehouseError } from '../errors.ts';
import { caseKey, invisibleCharacterProblem, nameLookup, namedRow, nameKey, tidyName, usernameProblem, type NameLookup } from '../shared/text.ts';
import { usernameShapeProblem } from '../contract/name-rules.ts';
import { DEFAULT_COMPANY_TOTALS } from '../config.ts';
import { lockedRoomFor } from './company-totals.ts';

export type UserRow = Selectable<UsersTable>;
export type Role = UsersTable['role'];

/** The user of a `users` row has a second factor: the authenticator app, or a passkey or security key. */
export const hasSecondFactor = (eb: ExpressionBuilder<Database, 'users'>) =>
  eb.or([
    eb('users.totp_secret', 'is not', null),
    eb.exists(eb.selectFrom('webauthn_credentials as k').select('k.id').whereRef('k.company_id', '=', 'users.company_id').whereRef('k.user_id', '=', 'users.id')),
  ]);

/**
 * Whether the user ever became active: signed up, or signed in by the company's provider
 * (activated_at, migration 0035), a login or a password standing for it in rows older than it.
 */
export const everActive = (user: Pick<UserRow, 'activated_at' | 'password_hash' | 'last_login_at'>): boolean =>
  user.activated_at !== null || user.password_hash !== null || user.last_login_at !== null;

/**
 * The ids of a company's users a typed name finds, by either key. Two index searches joined
 * (UNION ALL), not one search with OR: SQLite would read the company's users one by one
 * to test the OR, as its plan for `company_id = ? AND (a OR b)` shows.
 */
export function idsOfUsersNamed(qc: QueryCreator<Database>, companyId: string | RawBuilder<string>, lookup: NameLookup) {
  const ofCompany = () => qc.selectFrom('users as named').select('named.id').where('named.company_id', '=', companyId);
  return ofCompany()
    .where('named.username_key', 'in', [lookup.key, lookup.legacy])
    .unionAll(ofCompany().where('named.case_key', '=', lookup.caseKey));
}

export async function findUserByUsername(db: Queryable, companyId: string, username: string) {
  const lookup = nameLookup(username);
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where('id', 'in', idsOfUsersNamed(db, companyId, lookup))
    .execute();
  return namedRow(rows, lookup, (row) => row.username_key);
}

/**
 * The user, with its row locked until the transaction ends (a no-op UPDATE ... RETURNING,
 * the idiom for both engines: SQLite's transactions hold the write lock already). For a
 * change that writes rows hanging off the user (a link, an approval, a membership): a
 * deletion racing it either finished first (none found: not found) or waits for the
 * change, never commits between the read and the child's insert (a foreign key error, or
 * on a table without one, a row left for a user that is gone).
 */
export async function lockUser(db: Queryable, companyId: string, userId: string) {
  return db
    .updateTable('users')
    .set({ status: sql`status` })
    .where('company_id', '=', companyId)
    .where('id', '=', userId)
    .returningAll()
    .executeTakeFirst();
}

export async function getUser(db: Queryable, companyId: string, userId: string) {
  return db
    .selectFrom('users')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('id', '=', userId)
    .executeTakeFirst();
}

export async function findRootMaster(db: Queryable, companyId: string) {
  return db
    .selectFrom('users')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('role', '=', 'root_master')
    .executeTakeFirst();
}

/**
 * The one insert of a user, whichever way they come (an invitation, one row of a bulk
 * invite, /api/v1, a sign-in through the company's provider, a company's approval, the
 * shell's operators). Past `maxUsers` (GATEHOUSE_USERS_PER_COMPANY) it throws
 * user.too_many and writes nothing: the company's row is locked and its users counted in
 * the caller's transaction (lockedRoomFor), so creates racing for the last slot take
 * turns. Every row counts, invitees and deactivated users too; a deleted user's row is gone.
 * The server's callers pass the configured total; without one, the default total holds.
 */
export async function createUser(
  db: Queryable,
  companyId: string,
  input: { username: string; email: string; displayName: string; role: Role; invitedBy?: string | null; invitedByClient?: string | null },
  now: number,
  maxUsers: number = DEFAULT_COMPANY_TOTALS.users,
): Promise<UserRow> {
  // The storage-side guard behind every form, the CSV import and the CLI: the rules judge
  // the names as saved (tidyName), so what is stored passes the rules it was checked by.
  const usernameRefused = usernameProblem(input.username) ?? usernameShapeProblem(input.username);
  const displayNameRefused = invisibleCharacterProblem(input.displayName);
  if (usernameRefused || displayNameRefused) {
    const fields = { ...(usernameRefused ? { username: usernameRefused } : {}), ...(displayNameRefused ? { displayName: `Display name ${displayNameRefused}` } : {}) };
    throw new GatehouseError('request.invalid', { fields });
  }
  if (!(await lockedRoomFor(db, 'users', companyId, maxUsers))) throw new GatehouseError('user.too_many');
  try {
    return await db
      .insertInto('users')
      .values({
        id: newId(),
        company_id: companyId,
        username: tidyName(input.username),
        username_key: nameKey(input.username),
        case_key: caseKey(input.username),
        email: input.email,
        display_name: tidyName(input.displayName),
        role: input.role,
        status: 'invited',
        password_hash: null,
        totp_secret: null,
        totp_enrolled_at: null,
        totp_last_step: null,
        failed_logins: 0,
        locked_until: null,
        created_at: now,
        invited_by: input.invitedBy ?? null,
        invited_by_client: input.invitedByClient ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) throw new GatehouseError('user.username_taken', { cause: error });
    throw error;
  }
}

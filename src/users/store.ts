// User rows. Every lookup takes companyId first: there is no way to fetch a user
// without naming its company, so one tenant can never reach another's users by id.
import { newId } from '../crypto/index.ts';
import { isUniqueViolation, type Queryable } from '../storage/index.ts';
import type { Selectable } from 'kysely';
import type { UsersTable } from '../storage/schema.ts';
import { GatehouseError } from '../errors.ts';
import { caseKey, invisibleCharacterProblem, nameLookup, namedRow, nameKey, tidyName, usernameProblem } from '../shared/text.ts';

export type UserRow = Selectable<UsersTable>;
export type Role = UsersTable['role'];

export async function findUserByUsername(db: Queryable, companyId: string, username: string) {
  const lookup = nameLookup(username);
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where('company_id', '=', companyId)
    .where((eb) => eb.or([eb('username_key', 'in', [lookup.key, lookup.legacy]), eb('case_key', '=', lookup.caseKey)]))
    .execute();
  return namedRow(rows, lookup, (row) => row.username_key);
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

export async function createUser(
  db: Queryable,
  companyId: string,
  input: { username: string; email: string; displayName: string; role: Role; invitedBy?: string | null },
  now: number,
): Promise<UserRow> {
  // The storage-side guard behind every form, the CSV import and the CLI.
  const usernameRefused = usernameProblem(input.username);
  const displayNameRefused = invisibleCharacterProblem(input.displayName);
  if (usernameRefused || displayNameRefused) {
    const fields = { ...(usernameRefused ? { username: usernameRefused } : {}), ...(displayNameRefused ? { displayName: `Display name ${displayNameRefused}` } : {}) };
    throw new GatehouseError('request.invalid', { fields });
  }
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
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) throw new GatehouseError('user.username_taken', { cause: error });
    throw error;
  }
}

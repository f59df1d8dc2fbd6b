// Company rows. Names are unique by their key (src/shared/text.ts): case, spacing,
// invisible characters and look-alike letters ignored.
import { newId } from '../crypto/index.ts';
import { GatehouseError } from '../errors.ts';
import { isUniqueViolation, type Queryable } from '../storage/index.ts';
import { sql, type Selectable } from 'kysely';
import type { CompaniesTable } from '../storage/schema.ts';
import { caseKey, invisibleCharacterProblem, nameLookup, namedRow, nameKey, tidyName } from '../shared/text.ts';

export type CompanyRow = Selectable<CompaniesTable>;

export async function findCompanyByName(db: Queryable, name: string) {
  const lookup = nameLookup(name);
  const rows = await db
    .selectFrom('companies')
    .selectAll()
    .where((eb) => eb.or([eb('name_key', 'in', [lookup.key, lookup.legacy]), eb('case_key', '=', lookup.caseKey)]))
    .execute();
  return namedRow(rows, lookup, (row) => row.name_key);
}

/** Whether a company already has this name, or one that looks like it. */
export async function companyNameTaken(db: Queryable, name: string): Promise<boolean> {
  const row = await db
    .selectFrom('companies')
    .select('id')
    .where((eb) => eb.or([eb('name_key', '=', nameKey(name)), eb('case_key', '=', caseKey(name))]))
    .executeTakeFirst();
  return row !== undefined;
}

/** The storage-side guard behind every form: no company is saved (tidyName) with invisible characters or hidden marks. */
export function assertCompanyName(name: string): void {
  const problem = invisibleCharacterProblem(name);
  if (problem) throw new GatehouseError('request.invalid', { fields: { companyName: `Company Name ${problem}` } });
}

export async function getCompany(db: Queryable, companyId: string) {
  return db.selectFrom('companies').selectAll().where('id', '=', companyId).executeTakeFirst();
}

export async function getPlatformCompany(db: Queryable) {
  return db.selectFrom('companies').selectAll().where('is_platform', '=', 1).executeTakeFirst();
}

/** Whether `companyId` is the platform company, whose users are the operators (added on the server only). */
export async function isPlatformCompany(db: Queryable, companyId: string): Promise<boolean> {
  const found = await db.selectFrom('companies').select('id').where('id', '=', companyId).where('is_platform', '=', 1).executeTakeFirst();
  return found !== undefined;
}

export async function createCompany(
  db: Queryable,
  input: { name: string; isPlatform?: boolean },
  now: number,
): Promise<CompanyRow> {
  assertCompanyName(input.name);
  try {
    return await db
      .insertInto('companies')
      .values({
        id: newId(),
        name: tidyName(input.name),
        name_key: nameKey(input.name),
        case_key: caseKey(input.name),
        status: 'active',
        is_platform: input.isPlatform ? 1 : 0,
        created_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) throw new GatehouseError('company.name_taken', { cause: error });
    throw error;
  }
}

/**
 * Takes the company row's write lock for the rest of the transaction: the changes that
 * decide something about the whole company (its break-glass users, who lost a module)
 * take turns on it. PostgreSQL has no portable "lock this row" that SQLite also accepts,
 * but an update that changes nothing locks the row on both (SQLite's transactions already
 * hold the database's write lock).
 */
export async function lockCompany(db: Queryable, companyId: string): Promise<void> {
  await db.updateTable('companies').set({ status: sql`status` }).where('id', '=', companyId).execute();
}

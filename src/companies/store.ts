// Company rows. Names are unique by their normalized key (case and spacing ignored).
import { newId } from '../crypto/index.ts';
import { GatehouseError } from '../errors.ts';
import { isUniqueViolation, type Queryable } from '../storage/index.ts';
import type { Selectable } from 'kysely';
import type { CompaniesTable } from '../storage/schema.ts';
import { nameKey, tidyName } from '../shared/text.ts';

export type CompanyRow = Selectable<CompaniesTable>;

export async function findCompanyByName(db: Queryable, name: string) {
  return db.selectFrom('companies').selectAll().where('name_key', '=', nameKey(name)).executeTakeFirst();
}

export async function getCompany(db: Queryable, companyId: string) {
  return db.selectFrom('companies').selectAll().where('id', '=', companyId).executeTakeFirst();
}

export async function getPlatformCompany(db: Queryable) {
  return db.selectFrom('companies').selectAll().where('is_platform', '=', 1).executeTakeFirst();
}

export async function createCompany(
  db: Queryable,
  input: { name: string; isPlatform?: boolean },
  now: number,
): Promise<CompanyRow> {
  try {
    return await db
      .insertInto('companies')
      .values({
        id: newId(),
        name: tidyName(input.name),
        name_key: nameKey(input.name),
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

// The operator's list of tenant companies with the state of their Root Master: newest
// first, a page at a time (keyset on time and id), searched by name.
import type { ExpressionBuilder } from 'kysely';
import { afterKey, containing, type ListPage, type Queryable } from '../storage/index.ts';
import type { Database } from '../storage/schema.ts';
import { hasSecondFactor } from '../users/index.ts';

/** A page of companies, newest first (after a company's time and id); `search` is in the name. */
export type CompanyPage = ListPage;

function tenantCompanies(db: Queryable, search: string | undefined) {
  let query = db.selectFrom('companies').where('companies.is_platform', '=', 0);
  if (search) query = query.where(containing(['companies.name'], search));
  return query;
}

function withRootMaster(db: Queryable, search?: string) {
  return tenantCompanies(db, search)
    .leftJoin('users', (join) => join.onRef('users.company_id', '=', 'companies.id').on('users.role', '=', 'root_master'))
    .select([
      'companies.id as id',
      'companies.name as name',
      'companies.status as status',
      'companies.created_at as createdAt',
      'users.username as username',
      'users.email as email',
      'users.password_hash as passwordHash',
    ])
    // Enrolled: the one rule of a second factor, the app or a passkey or security key
    // (hasSecondFactor), as the Users list reads it (the compliance report counts only keys still switched on).
    .select((eb) => eb.case().when(hasSecondFactor(eb as unknown as ExpressionBuilder<Database, 'users'>)).then(1).else(0).end().as('hasSecondFactor'));
}

type Entry = Awaited<ReturnType<ReturnType<typeof withRootMaster>['executeTakeFirstOrThrow']>>;
function entryOf({ passwordHash, hasSecondFactor: enrolled, ...row }: Entry) {
  return { ...row, signedUp: passwordHash !== null, enrolled: Number(enrolled) === 1 };
}

export async function listCompanies(db: Queryable, page: CompanyPage) {
  let query = withRootMaster(db, page.search).orderBy('companies.created_at', 'desc').orderBy('companies.id', 'desc');
  if (page.after !== undefined) query = query.where(afterKey({ time: 'companies.created_at', id: 'companies.id' }, page.after, 'desc'));
  const rows = await query.limit(page.limit).execute();
  return rows.map(entryOf);
}

/** How many tenant companies the list holds with this search, over all its pages. */
export async function countCompanies(db: Queryable, search?: string) {
  const row = await tenantCompanies(db, search).select((eb) => eb.fn.countAll<number | string>().as('total')).executeTakeFirstOrThrow();
  return Number(row.total);
}

/** One tenant company as the list shows it; undefined for an unknown id or the platform company. */
export async function directoryEntry(db: Queryable, companyId: string) {
  const row = await withRootMaster(db).where('companies.id', '=', companyId).executeTakeFirst();
  return row === undefined ? undefined : entryOf(row);
}

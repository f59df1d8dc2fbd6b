// A company's totals (Config.companyTotals: GATEHOUSE_USERS_PER_COMPANY,
// GATEHOUSE_GROUPS_PER_COMPANY, GATEHOUSE_SSO_PROVIDERS_PER_COMPANY). Every tenant shares
// one database, so no tenant may add rows without end: not a script with an API client,
// not its own identity provider asserting any username it likes. Each kind of row is
// counted in the one function that inserts it (createUser, createGroup, addProvider;
// API clients by theirs, createApiClientIn, with their own total).
import { lockCompany } from '../companies/store.ts';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Database, Queryable } from '../storage/index.ts';

type CountedTable = 'users' | 'groups' | 'sso_providers' | 'api_clients';

/** Which of the company's rows count, where not all do (an API client deleted long ago does not). */
export type Counted = (eb: ExpressionBuilder<Database, CountedTable>) => Expression<SqlBool>;

/**
 * How many rows of `table` the company holds (those `counted` says count), counted no
 * further than `upTo`: the count reads at most that many entries, however many there are.
 */
export async function heldUpTo(db: Queryable, table: CountedTable, companyId: string, upTo: number, counted?: Counted): Promise<number> {
  const rows = db.selectFrom(table).select('id').where('company_id', '=', companyId);
  const held = await db
    .selectFrom((counted ? rows.where(counted) : rows).limit(upTo).as('held'))
    .select((eb) => eb.fn.countAll<number | string>().as('rows'))
    .executeTakeFirst();
  return Number(held?.rows ?? 0);
}

/**
 * Whether the company may hold one more row of `table` under `total`, decided with the
 * company's row locked (lockCompany) in the transaction that then inserts the row: two
 * creates at once take turns, and the second counts the first's row (on PostgreSQL its
 * count, a new statement under READ COMMITTED, sees what the lock's holder committed; on
 * SQLite the transaction holds the write lock already), so they cannot both take the
 * last slot. A row deleted frees its slot at once.
 */
export async function lockedRoomFor(tx: Queryable, table: CountedTable, companyId: string, total: number, counted?: Counted): Promise<boolean> {
  await lockCompany(tx, companyId);
  return (await heldUpTo(tx, table, companyId, total, counted)) < total;
}

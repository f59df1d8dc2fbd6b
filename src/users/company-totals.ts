// A company's totals (Config.companyTotals: GATEHOUSE_USERS_PER_COMPANY,
// GATEHOUSE_GROUPS_PER_COMPANY, GATEHOUSE_SSO_PROVIDERS_PER_COMPANY). Every tenant shares
// one database, so no tenant may add rows without end: not a script with an API client,
// not its own identity provider asserting any username it likes. Each kind of row is
// counted in the one function that inserts it (createUser, createGroup, addProvider).
import { lockCompany } from '../companies/store.ts';
import type { Queryable } from '../storage/index.ts';

type CountedTable = 'users' | 'groups' | 'sso_providers';

/**
 * How many rows of `table` the company holds, counted no further than `upTo`: the count
 * reads at most that many entries of the company's index, however many there are.
 */
export async function heldUpTo(db: Queryable, table: CountedTable, companyId: string, upTo: number): Promise<number> {
  const held = await db
    .selectFrom(db.selectFrom(table).select('id').where('company_id', '=', companyId).limit(upTo).as('held'))
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
export async function lockedRoomFor(tx: Queryable, table: CountedTable, companyId: string, total: number): Promise<boolean> {
  await lockCompany(tx, companyId);
  return (await heldUpTo(tx, table, companyId, total)) < total;
}

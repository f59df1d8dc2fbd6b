// An INSERT of one row made only if a condition holds: `INSERT ... SELECT $1, $2 ... WHERE`.
// What lets a part of a PostgreSQL statement of data-modifying WITHs depend on another
// (a login flow stored only where its attempt slot was held; a token stored only while
// its module's secret is unchanged). PostgreSQL types the selected values by their
// columns, as it types VALUES.
import type { Insertable, QueryCreator, RawBuilder } from 'kysely';
import type { Database } from './schema.ts';

export function rowInsertedIf<T extends keyof Database & string>(qc: QueryCreator<Database>, table: T, row: Insertable<Database[T]>, condition: RawBuilder<boolean>) {
  const columns = Object.keys(row) as Array<keyof typeof row & string>;
  const selected = qc.selectNoFrom((eb) => columns.map((column) => eb.val(row[column]).as(column))).where(condition);
  return qc.insertInto(table).columns(columns as never).expression(selected as never);
}

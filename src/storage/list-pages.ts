// The two rules every long list shares, on both engines: keyset paging along (time, id),
// and a case-insensitive substring search. Pages are found by the last row shown, never
// by OFFSET: a row added or decided while someone pages neither repeats nor hides another.
import { sql, type RawBuilder } from 'kysely';

/** The last row of a page in a list ordered by time, then id: the next page starts after it. */
export interface TimeKey {
  createdAt: number;
  id: string;
}

/** The next page: at most `limit` rows after `after` (none: the first page); `search` narrows the list. */
export interface ListPage {
  after?: TimeKey | undefined;
  limit: number;
  search?: string | undefined;
}

/**
 * Rows beyond `after` in the list's order (`time` then `id`, both `asc` or both `desc`).
 * The id breaks ties of time, so a page never repeats or skips a row.
 */
export function afterKey(columns: { time: string; id: string }, after: TimeKey, direction: 'asc' | 'desc'): RawBuilder<boolean> {
  const time = sql.ref(columns.time);
  const id = sql.ref(columns.id);
  const beyond = direction === 'asc' ? sql.raw('>') : sql.raw('<');
  return sql<boolean>`(${time} ${beyond} ${after.createdAt} or (${time} = ${after.createdAt} and ${id} ${beyond} ${after.id}))`;
}

/**
 * Some column holds `search` anywhere in it, case ignored. The text is a parameter and its
 * LIKE wildcards (`%`, `_`) and the escape character are escaped, so it matches literally.
 * Both sides are lower-cased by the database's lower(): every engine folds A-Z; SQLite's
 * folds no other letter, PostgreSQL's follows its locale.
 */
export function containing(columns: readonly string[], search: string): RawBuilder<boolean> {
  const pattern = `%${search.replace(/[\\%_]/g, '\\$&')}%`;
  const matches = columns.map((column) => sql`lower(${sql.ref(column)}) like lower(${pattern}) escape '\\'`);
  return sql<boolean>`(${sql.join(matches, sql` or `)})`;
}

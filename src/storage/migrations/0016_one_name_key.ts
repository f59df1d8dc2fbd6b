// One key per name (src/shared/text.ts nameKey, over src/shared/look-alike-classes.ts)
// where there were two: name_key folded case before mapping look-alikes and look_key
// after, and a name whose letters needed each way in turn passed both ("Acme ClﻪꞟᏧ"
// beside "Acme Cloud"). name_key and username_key are recomputed for companies, users,
// account requests and groups, and look_key with its unique indexes is dropped.
//
// Rows are kept whatever happens. Where the one key now makes existing names collide,
// the oldest row keeps it and each later one is flagged as migration 0008 flags them:
// its old case-folded key behind LEGACY_KEY_MARK, still found when its users type the
// name exactly, never taken by a new name. Rows flagged by 0008 keep their flag.
import { sql, type Kysely } from 'kysely';
import { LEGACY_KEY_MARK, legacyNameKey, nameKey } from '../../shared/text.ts';

interface KeyedTable {
  table: 'companies' | 'users' | 'account_requests' | 'groups';
  name: string;
  key: string;
  /** Rows compete for a key within their scope: a company, or all pending requests. */
  scope: string;
  /** Unique indexes on look_key, dropped before the column. */
  lookIndex: string;
}

const TABLES: KeyedTable[] = [
  { table: 'companies', name: 'name', key: 'name_key', scope: `''`, lookIndex: 'companies_look_key' },
  { table: 'users', name: 'username', key: 'username_key', scope: 'company_id', lookIndex: 'users_company_look_key' },
  { table: 'account_requests', name: 'company_name', key: 'name_key', scope: 'status', lookIndex: 'account_requests_pending_look_key' },
  { table: 'groups', name: 'name', key: 'name_key', scope: 'company_id', lookIndex: 'groups_company_look_key' },
];

type Row = { id: string; name: string; key: string; scope: string; created_at: number | string };

/** New keys in creation order, for the rows whose key changes. */
function recomputed(rows: Row[], table: KeyedTable['table']): Map<string, string> {
  const taken = new Set<string>();
  const changed = new Map<string, string>();
  const ordered = [...rows].sort((a, b) => Number(a.created_at) - Number(b.created_at) || a.id.localeCompare(b.id));
  for (const row of ordered) {
    if (row.key.startsWith(LEGACY_KEY_MARK)) continue;
    // Only pending requests hold their name; decided ones simply get the new key.
    const competes = table !== 'account_requests' || row.scope === 'pending';
    const key = nameKey(row.name);
    const slot = `${row.scope}\u0000${key}`;
    const next = competes && taken.has(slot) ? LEGACY_KEY_MARK + legacyNameKey(row.name) : key;
    if (competes) taken.add(slot);
    if (next !== row.key) changed.set(row.id, next);
  }
  return changed;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const keyed of TABLES) {
    const rows = (
      await sql`select id, ${sql.ref(keyed.name)} as name, ${sql.ref(keyed.key)} as key, ${sql.raw(keyed.scope)} as scope, created_at from ${sql.table(keyed.table)}`.execute(db)
    ).rows as Row[];
    const changed = recomputed(rows, keyed.table);
    const set = (id: string, key: string) => sql`update ${sql.table(keyed.table)} set ${sql.ref(keyed.key)} = ${key} where id = ${id}`.execute(db);
    // Two passes, so no row ever holds a key another row still holds under a unique index.
    for (const id of changed.keys()) await set(id, `MIGRATING:${id}`);
    for (const [id, key] of changed) await set(id, key);
    await db.schema.dropIndex(keyed.lookIndex).execute();
    await db.schema.alterTable(keyed.table).dropColumn('look_key').execute();
  }
}

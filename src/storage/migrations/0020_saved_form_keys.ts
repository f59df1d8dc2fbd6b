// Names are keyed as they are saved (src/shared/text.ts): nameKey and caseKey now take the
// tidied, NFKC form first, where they took the name as typed, and caseFolded no longer
// folds dotless "ı" into i. A row saved from "ᴾayroll" reads "Payroll" but was keyed as
// another class, so a second "Payroll" could be saved beside it. Both keys are recomputed
// from the saved name for companies, users, account requests and groups; only rows whose
// keys change are written.
//
// As in migration 0016: rows are kept whatever happens. Where the new keys make saved
// names collide, the oldest row keeps them and each later one is flagged (its old
// case-folded key behind LEGACY_KEY_MARK, still found when its users type the name
// exactly, never taken by a new name; case key "LEGACY:<id>"), or, when it is a twin
// saved under the keeper's very name, under its id alone. Rows flagged before keep their
// flag. Like 0016, the keys come from src/shared/text.ts as it is when the migration
// runs, not a copy: a database upgraded later gets the keys that release looks names up by.
import { sql, type Kysely } from 'kysely';
import { caseKey, LEGACY_KEY_MARK, legacyNameKey, nameKey } from '../../shared/text.ts';

interface KeyedTable {
  table: 'companies' | 'users' | 'account_requests' | 'groups';
  name: string;
  key: string;
  /** Rows compete for a key within their scope: a company, or all pending requests. */
  scope: string;
}

const TABLES: KeyedTable[] = [
  { table: 'companies', name: 'name', key: 'name_key', scope: `''` },
  { table: 'users', name: 'username', key: 'username_key', scope: 'company_id' },
  { table: 'account_requests', name: 'company_name', key: 'name_key', scope: 'status' },
  { table: 'groups', name: 'name', key: 'name_key', scope: 'company_id' },
];

type Row = { id: string; name: string; key: string; case_key: string; scope: string; created_at: number | string };
type Keys = { key: string; caseKey: string };

/**
 * Both keys of every row, in creation order; a row colliding on either with an earlier one
 * is flagged. A twin is saved under the very name of the row that keeps the key, so its
 * flagged key (the name's legacyNameKey) would answer to that name at login before the
 * keeper does (text.ts namedRow). A flagged row whose legacy key another row answers to
 * is flagged under its id instead, in capitals no legacyNameKey holds: found by no typed
 * name, kept for a Master or the operator to rename or retire.
 */
function recomputed(rows: Row[], table: KeyedTable['table']): Map<string, Keys> {
  const slot = (row: Row, kind: string, key: string) => `${row.scope}\u0000${kind}\u0000${key}`;
  const legacyOf = (row: Row) => LEGACY_KEY_MARK + legacyNameKey(row.name);
  const taken = new Set<string>();
  const keys = new Map<string, Keys>();
  const flagged: Row[] = [];
  const ordered = [...rows].sort((a, b) => Number(a.created_at) - Number(b.created_at) || a.id.localeCompare(b.id));
  for (const row of ordered) {
    if (row.key.startsWith(LEGACY_KEY_MARK)) {
      taken.add(slot(row, 'k', row.key));
      continue;
    }
    const fresh = { key: nameKey(row.name), caseKey: caseKey(row.name) };
    // Only pending requests hold their name; decided ones simply get the new keys.
    if (table === 'account_requests' && row.scope !== 'pending') {
      keys.set(row.id, fresh);
      continue;
    }
    const slots = [slot(row, 'k', fresh.key), slot(row, 'c', fresh.caseKey)];
    if (slots.some((s) => taken.has(s))) {
      flagged.push(row);
      continue;
    }
    for (const s of [...slots, slot(row, 'k', legacyOf(row))]) taken.add(s);
    keys.set(row.id, fresh);
  }
  for (const row of flagged) {
    const key = taken.has(slot(row, 'k', legacyOf(row))) ? `${LEGACY_KEY_MARK}ROW ${row.id}` : legacyOf(row);
    taken.add(slot(row, 'k', key));
    keys.set(row.id, { key, caseKey: `${LEGACY_KEY_MARK}${row.id}` });
  }
  return keys;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const keyed of TABLES) {
    const rows = (
      await sql`select id, ${sql.ref(keyed.name)} as name, ${sql.ref(keyed.key)} as key, case_key, ${sql.raw(keyed.scope)} as scope, created_at from ${sql.table(keyed.table)}`.execute(db)
    ).rows as Row[];
    const before = new Map(rows.map((row) => [row.id, row]));
    const changed = [...recomputed(rows, keyed.table)].filter(([id, next]) => before.get(id)?.key !== next.key || before.get(id)?.case_key !== next.caseKey);
    const set = (id: string, key: string, caseKeyOf: string) =>
      sql`update ${sql.table(keyed.table)} set ${sql.ref(keyed.key)} = ${key}, case_key = ${caseKeyOf} where id = ${id}`.execute(db);
    // Two passes, so no row ever holds a key another row still holds under a unique index.
    for (const [id] of changed) await set(id, `MIGRATING:${id}`, `MIGRATING:${id}`);
    for (const [id, next] of changed) await set(id, next.key, next.caseKey);
  }
}

// Names get the keys of src/shared/text.ts: name_key (nameKey, over the look-alike and case
// classes of src/shared/look-alike-classes.ts) and case_key (caseKey, the key of the name
// case-folded), where there were name_key and look_key, one folding case before mapping
// look-alikes and one after: a name whose letters needed each way in turn passed both
// ("Acme ClﻪꞟᏧ" beside "Acme Cloud"). Both keys are recomputed for companies, users,
// account requests and groups; look_key and its unique indexes are dropped, and case_key
// gets its own (a name is taken when either key is).
//
// Rows are kept whatever happens. Where the keys now make existing names collide, the
// oldest row keeps them and each later one is flagged as migration 0008 flags them: its
// old case-folded key behind LEGACY_KEY_MARK (still found when its users type the name
// exactly, never taken by a new name) and case key "LEGACY:<id>". Rows flagged by 0008
// keep their flag.
import { sql, type Kysely } from 'kysely';
import { caseKey, LEGACY_KEY_MARK, legacyNameKey, nameKey } from '../../shared/text.ts';

interface KeyedTable {
  table: 'companies' | 'users' | 'account_requests' | 'groups';
  name: string;
  key: string;
  /** Rows compete for a key within their scope: a company, or all pending requests. */
  scope: string;
  /** The unique indexes: look_key's, dropped with it, and case_key's, made. */
  lookIndex: string;
  caseIndex: { name: string; columns: string[]; pendingOnly?: boolean };
}

const TABLES: KeyedTable[] = [
  { table: 'companies', name: 'name', key: 'name_key', scope: `''`, lookIndex: 'companies_look_key', caseIndex: { name: 'companies_case_key', columns: ['case_key'] } },
  {
    table: 'users',
    name: 'username',
    key: 'username_key',
    scope: 'company_id',
    lookIndex: 'users_company_look_key',
    caseIndex: { name: 'users_company_case_key', columns: ['company_id', 'case_key'] },
  },
  {
    table: 'account_requests',
    name: 'company_name',
    key: 'name_key',
    scope: 'status',
    lookIndex: 'account_requests_pending_look_key',
    caseIndex: { name: 'account_requests_pending_case_key', columns: ['case_key'], pendingOnly: true },
  },
  {
    table: 'groups',
    name: 'name',
    key: 'name_key',
    scope: 'company_id',
    lookIndex: 'groups_company_look_key',
    caseIndex: { name: 'groups_company_case_key', columns: ['company_id', 'case_key'] },
  },
];

type Row = { id: string; name: string; key: string; scope: string; created_at: number | string };
type Keys = { key: string; caseKey: string };

/** Both keys of every row, in creation order; a row colliding on either with an earlier one is flagged. */
function recomputed(rows: Row[], table: KeyedTable['table']): Map<string, Keys> {
  const taken = new Set<string>();
  const keys = new Map<string, Keys>();
  const ordered = [...rows].sort((a, b) => Number(a.created_at) - Number(b.created_at) || a.id.localeCompare(b.id));
  for (const row of ordered) {
    const flagged = { key: LEGACY_KEY_MARK + legacyNameKey(row.name), caseKey: `${LEGACY_KEY_MARK}${row.id}` };
    if (row.key.startsWith(LEGACY_KEY_MARK)) {
      keys.set(row.id, { key: row.key, caseKey: flagged.caseKey });
      continue;
    }
    const fresh = { key: nameKey(row.name), caseKey: caseKey(row.name) };
    // Only pending requests hold their name; decided ones simply get the new keys.
    if (table === 'account_requests' && row.scope !== 'pending') {
      keys.set(row.id, fresh);
      continue;
    }
    const slots = [`${row.scope}\u0000k\u0000${fresh.key}`, `${row.scope}\u0000c\u0000${fresh.caseKey}`];
    if (slots.some((slot) => taken.has(slot))) {
      keys.set(row.id, flagged);
    } else {
      for (const slot of slots) taken.add(slot);
      keys.set(row.id, fresh);
    }
  }
  return keys;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const keyed of TABLES) {
    await db.schema.dropIndex(keyed.lookIndex).execute();
    await db.schema.alterTable(keyed.table).dropColumn('look_key').execute();
    await db.schema.alterTable(keyed.table).addColumn('case_key', 'text', (c) => c.notNull().defaultTo('')).execute();
    const rows = (
      await sql`select id, ${sql.ref(keyed.name)} as name, ${sql.ref(keyed.key)} as key, ${sql.raw(keyed.scope)} as scope, created_at from ${sql.table(keyed.table)}`.execute(db)
    ).rows as Row[];
    const keys = recomputed(rows, keyed.table);
    const set = (id: string, key: string, caseKeyOf: string) =>
      sql`update ${sql.table(keyed.table)} set ${sql.ref(keyed.key)} = ${key}, case_key = ${caseKeyOf} where id = ${id}`.execute(db);
    // Two passes, so no row ever holds a key another row still holds under a unique index.
    const keyBefore = new Map(rows.map((row) => [row.id, row.key]));
    for (const [id, next] of keys) if (keyBefore.get(id) !== next.key) await set(id, `MIGRATING:${id}`, `MIGRATING:${id}`);
    for (const [id, next] of keys) await set(id, next.key, next.caseKey);
    const index = db.schema.createIndex(keyed.caseIndex.name).on(keyed.table).columns(keyed.caseIndex.columns).unique();
    await (keyed.caseIndex.pendingOnly ? index.where(sql.ref('status'), '=', 'pending') : index).execute();
  }
}

// Company names and usernames become confusable-aware (src/shared/text.ts): name_key and
// username_key are recomputed with nameKey, and a second key, look_key (lookAlikeKey),
// is added with its own unique index, so a name is taken when either key is. Rows are
// kept whatever happens; where existing names now collide (e.g. "Acme" and "Αcme"), the
// oldest row takes the keys and each later one is flagged: its old key kept behind
// LEGACY_KEY_MARK (still unique, still found when its users type the name exactly as
// before, never taken by a new name) and look_key "LEGACY:<id>". Operators list them
// with name_key LIKE 'LEGACY:%'. Pending account requests the same.
import { sql, type Kysely } from 'kysely';
import { LEGACY_KEY_MARK, legacyNameKey, nameKey } from '../../shared/text.ts';

// look_key was a second key, the name mapped in capitals; migration 0016 made one key
// catch what both did and dropped the column. A database migrating through here now
// fills it with the one key, which 0016 then drops.
const lookAlikeKey = nameKey;

type Row = { id: string; name: string; group: string; created_at: number | string };
type Keys = Map<string, { key: string; look: string }>;

/** Keys for rows in creation order; a row colliding on either key with an earlier one is flagged. */
function assignKeys(rows: Row[]): Keys {
  const taken = new Set<string>();
  const keys: Keys = new Map();
  const ordered = [...rows].sort((a, b) => Number(a.created_at) - Number(b.created_at) || a.id.localeCompare(b.id));
  for (const row of ordered) {
    const key = `${row.group}\u0000k\u0000${nameKey(row.name)}`;
    const look = `${row.group}\u0000l\u0000${lookAlikeKey(row.name)}`;
    if (taken.has(key) || taken.has(look)) {
      keys.set(row.id, { key: LEGACY_KEY_MARK + legacyNameKey(row.name), look: `${LEGACY_KEY_MARK}${row.id}` });
    } else {
      taken.add(key).add(look);
      keys.set(row.id, { key: nameKey(row.name), look: lookAlikeKey(row.name) });
    }
  }
  return keys;
}

/** Two passes, so no row ever holds a key another row still holds under a unique index. */
async function rewrite(db: Kysely<unknown>, table: string, column: string, keys: Keys) {
  const set = (id: string, key: string, look: string) =>
    sql`update ${sql.table(table)} set ${sql.ref(column)} = ${key}, look_key = ${look} where id = ${id}`.execute(db);
  for (const id of keys.keys()) await set(id, `MIGRATING:${id}`, `MIGRATING:${id}`);
  for (const [id, { key, look }] of keys) await set(id, key, look);
}

async function rows(db: Kysely<unknown>, query: ReturnType<typeof sql>): Promise<Row[]> {
  return (await query.execute(db)).rows as Row[];
}

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['companies', 'users', 'account_requests']) {
    await db.schema.alterTable(table).addColumn('look_key', 'text', (c) => c.notNull().defaultTo('')).execute();
  }

  const companies = await rows(db, sql`select id, name, '' as ${sql.ref('group')}, created_at from companies`);
  await rewrite(db, 'companies', 'name_key', assignKeys(companies));

  const users = await rows(db, sql`select id, username as name, company_id as ${sql.ref('group')}, created_at from users`);
  await rewrite(db, 'users', 'username_key', assignKeys(users));

  // Only pending requests are unique by name; decided ones simply get the new keys.
  const requests = await rows(db, sql`select id, company_name as name, status as ${sql.ref('group')}, created_at from account_requests`);
  const keys = assignKeys(requests.filter((r) => r.group === 'pending'));
  for (const r of requests) if (r.group !== 'pending') keys.set(r.id, { key: nameKey(r.name), look: lookAlikeKey(r.name) });
  await rewrite(db, 'account_requests', 'name_key', keys);

  await db.schema.createIndex('companies_look_key').on('companies').column('look_key').unique().execute();
  await db.schema.createIndex('users_company_look_key').on('users').columns(['company_id', 'look_key']).unique().execute();
  await db.schema
    .createIndex('account_requests_pending_look_key')
    .on('account_requests')
    .column('look_key')
    .unique()
    .where(sql.ref('status'), '=', 'pending')
    .execute();
}

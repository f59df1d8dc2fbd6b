// Platform-wide settings the server records for the tools that run beside it. The CLI is
// often started from another shell, with another environment: it reads what the running
// server said about itself here instead of guessing from its own variables.
import type { Queryable } from '../storage/index.ts';

const PUBLIC_URL = 'server.public_url';

/** The server records the origin every link it builds starts with, at each start. */
export async function recordPublicUrl(db: Queryable, origin: string): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key: PUBLIC_URL, value: origin })
    .onConflict((conflict) => conflict.column('key').doUpdateSet({ value: origin }))
    .execute();
}

/** The origin the server last started with, if it has ever started on this database. */
export async function storedPublicUrl(db: Queryable): Promise<string | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', PUBLIC_URL).executeTakeFirst();
  return row?.value;
}

// Several processes on one SQLite file (the server and the CLI, say): they migrate in
// turn and write without "database is locked" errors, thanks to WAL, the busy timeout
// and transactions that take the write lock when they begin.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { migrations, openStorage } from '../../src/storage/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';

const storageModule = fileURLToPath(new URL('../../src/storage/index.ts', import.meta.url));

function runNode(script: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase('sqlite');
});
after(() => database.drop());

test('four processes migrate and write to one SQLite file at the same time', async () => {
  const file = database.url.slice('sqlite:'.length);
  const script = `
    import { openStorage } from ${JSON.stringify(storageModule)};
    const storage = await openStorage({ kind: 'sqlite', file: process.env.DB_FILE });
    for (let i = 0; i < 25; i++) {
      await storage.db.transaction().execute(async (tx) => {
        const row = await tx.selectFrom('settings').select('value').where('key', '=', 'counter').executeTakeFirst();
        const next = String(Number(row?.value ?? 0) + 1);
        if (row) await tx.updateTable('settings').set({ value: next }).where('key', '=', 'counter').execute();
        else await tx.insertInto('settings').values({ key: 'counter', value: next }).execute();
      });
    }
    await storage.close();`;
  const results = await Promise.all(Array.from({ length: 4 }, () => runNode(script, { DB_FILE: file })));
  for (const result of results) assert.equal(result.code, 0, result.stderr);
  const storage = await openStorage({ kind: 'sqlite', file });
  const counter = await storage.db.selectFrom('settings').select('value').where('key', '=', 'counter').executeTakeFirstOrThrow();
  const applied = await storage.db.selectFrom('kysely_migration' as never).selectAll().execute();
  await storage.close();
  assert.equal(counter.value, '100', 'no lost update: each read-modify-write ran alone');
  assert.equal(applied.length, Object.keys(migrations).length);
});

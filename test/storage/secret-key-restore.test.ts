// The embedded default makes its secret key (secret.key in the data folder) only for a
// new, empty database. A database that holds data was made with a key; a new one could
// not read what it sealed (2FA secrets, queued mail, signing keys). A restore that left
// the key behind, or an empty or damaged key file, is refused with a message naming the
// file and GATEHOUSE_SECRET_KEY, instead of passing the documented restore check and
// writing a new key, or failing later with "unreadable secret".
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { createGatehouse } from '../../src/gatehouse.ts';
import { resolveSecretKey } from '../../src/secret-key.ts';
import { openStorage } from '../../src/storage/index.ts';
import { cleanEnv, runCli } from '../helpers/cli.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer } from '../helpers/server.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-key-restore-'));
after(() => rmSync(work, { recursive: true, force: true }));

const configFor = (dataDir: string) => loadConfig({ GATEHOUSE_DATA_DIR: dataDir });
const refusal = (file: string, why: RegExp) => (error: unknown) =>
  error instanceof ConfigError && error.message.includes(file) && why.test(error.message) && /GATEHOUSE_SECRET_KEY/.test(error.message);

/** A data folder as the embedded default leaves it after a start: a database holding sealed values, and its key. */
async function usedDataFolder(name: string): Promise<{ dir: string; key: string }> {
  const dir = path.join(work, name);
  const config = configFor(dir);
  const gatehouse = await createGatehouse(config, { logger: false, mailWorkerIntervalMs: null, backchannelWorkerIntervalMs: null });
  await gatehouse.close();
  return { dir, key: readFileSync(path.join(dir, 'secret.key'), 'utf8').trim() };
}

test('a new data folder gets a key, 0600, kept across starts; so does one only migrated', async () => {
  const fresh = path.join(work, 'fresh');
  const key = resolveSecretKey(configFor(fresh));
  const file = path.join(fresh, 'secret.key');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(resolveSecretKey(configFor(fresh)), key, 'the same key at the next start');

  // `gatehouse migrate` before the first `serve` (it needs no key): tables, but no rows.
  const migrated = path.join(work, 'migrated');
  const storage = await openStorage(configFor(migrated).database);
  await storage.close();
  assert.match(resolveSecretKey(configFor(migrated)), /^[A-Za-z0-9+/]{43}=$/);
});

test('a database restored without its key is refused, naming the file and GATEHOUSE_SECRET_KEY, and no key is written', async () => {
  const { dir, key } = await usedDataFolder('live');
  const restored = path.join(work, 'restored');
  mkdirSync(restored);
  copyFileSync(path.join(dir, 'gatehouse.db'), path.join(restored, 'gatehouse.db'));
  const file = path.join(restored, 'secret.key');
  assert.throws(() => resolveSecretKey(configFor(restored)), refusal(file, /made with a secret key this node does not have/));
  assert.ok(!existsSync(file), 'no new key beside the restored database');

  // The restore check docs/OPERATIONS.md gives fails, as the server would.
  const check = () => runCli(['requests', 'list', '--status', 'all'], { ...cleanEnv(), GATEHOUSE_DATA_DIR: restored, GATEHOUSE_LOG_LEVEL: 'warn' });
  const keyless = await check();
  assert.equal(keyless.code, 1, keyless.stdout);
  assert.ok(keyless.stderr.includes(file), keyless.stderr);
  assert.ok(!existsSync(file));

  // Another installation's key passes the file check; the check command still tells.
  writeFileSync(file, `${Buffer.alloc(32, 5).toString('base64')}\n`, { mode: 0o600 });
  const wrong = await check();
  assert.equal(wrong.code, 1, wrong.stdout);
  assert.match(wrong.stderr, /sealed with key [0-9a-f]{8}, not the secret key configured[\s\S]*GATEHOUSE_SECRET_KEY/);

  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  const right = await check();
  assert.equal(right.code, 0, right.stderr);
});

test('an empty or damaged secret.key is refused, naming the file', async () => {
  const { dir, key } = await usedDataFolder('damaged');
  const file = path.join(dir, 'secret.key');
  for (const [content, why] of [['\n', /is empty/], [key.slice(0, 20), /is not a key/], [`${key}x`, /is not a key/]] as const) {
    writeFileSync(file, content);
    assert.throws(() => resolveSecretKey(configFor(dir)), refusal(file, why), JSON.stringify(content));
  }
  writeFileSync(file, `${key}\n`);
  assert.equal(resolveSecretKey(configFor(dir)), key, 'the right key, with its newline, is read');
});

for (const engine of await enginesUnderTest()) {
  test(`${engine}: started with another key, the start fails naming the key settings, not only "unreadable secret"`, async () => {
    const server = await startTestServer({ engine, quietWorkers: true });
    after(() => server.close());
    const config = loadConfig({
      GATEHOUSE_DATA_DIR: server.database.dataDir,
      GATEHOUSE_DATABASE_URL: server.database.url,
      GATEHOUSE_SECRET_KEY: Buffer.alloc(32, 9).toString('base64'),
    });
    await assert.rejects(
      createGatehouse(config, { logger: false, mailWorkerIntervalMs: null, backchannelWorkerIntervalMs: null }),
      /sealed with key [0-9a-f]{8}, not the secret key configured \(GATEHOUSE_SECRET_KEY, or secret\.key/,
    );
  });
}

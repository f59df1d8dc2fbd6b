// The key that encrypts secrets at rest. From GATEHOUSE_SECRET_KEY in production; in
// the embedded default it is generated once and kept beside the database (mode 0600).
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ConfigError, type Config } from './config.ts';
import { generateSecretKey } from './crypto/index.ts';

/** 32 bytes in base64 (what `openssl rand -base64 32` and Gatehouse write), or base64url, padded or not: what the key box accepts. */
const KEY = /^[A-Za-z0-9+/_-]{43}=?$/;

export function resolveSecretKey(config: Config): string {
  if (config.secretKey) return config.secretKey;
  if (config.database.kind === 'postgres') {
    // Every node must share one key, so a generated per-node key would break decryption.
    throw new ConfigError(
      'Invalid configuration:\n  GATEHOUSE_SECRET_KEY: required with PostgreSQL (openssl rand -base64 32), the same on every node',
    );
  }
  const file = path.join(config.dataDir, 'secret.key');
  if (existsSync(file)) return readKeyFile(file);
  // A key is made only for a database with nothing in it yet. One that holds data was made
  // with a key, and a new one could not read what it sealed (2FA secrets, queued mail,
  // signing keys): a restore that left the key behind, or the wrong data folder.
  if (holdsData(config.database.file)) {
    // Another process of this node may have just made the key, and then written.
    if (existsSync(file)) return readKeyFile(file);
    throw new ConfigError(
      `The database ${path.resolve(config.database.file)} holds data, but there is no secret key: ${file} does not exist and GATEHOUSE_SECRET_KEY is not set.\n` +
        `It was made with a secret key this node does not have: restore its secret.key beside it (${file}) or set GATEHOUSE_SECRET_KEY.\n` +
        'A new key is made only for a new, empty database (docs/OPERATIONS.md, "Backups and restore").\n' +
        'If that key is lost for good: gatehouse keys replace-lost-secret (docs/OPERATIONS.md, "A secret key lost for good").',
    );
  }
  return createKeyFile(config.dataDir, file);
}

/**
 * Whether a secret key is configured at all: GATEHOUSE_SECRET_KEY, or (the embedded
 * default) a secret.key in the data folder. `keys replace-lost-secret` makes one when not.
 */
export function secretKeyConfigured(config: Config): boolean {
  return Boolean(config.secretKey) || config.database.kind === 'postgres' || existsSync(path.join(config.dataDir, 'secret.key'));
}

/**
 * Writes `key` as the data folder's secret.key, never over one (a key written meanwhile
 * is refused): the new key of `keys replace-lost-secret`, once confirmed. Returns the file.
 */
export function writeReplacementKeyFile(config: Config, key: string): string {
  const file = path.join(config.dataDir, 'secret.key');
  if (!placeKeyFile(config.dataDir, file, key)) throw new ConfigError(`${file} appeared meanwhile; nothing was changed. Run the command again: it uses that key.`);
  return file;
}

function readKeyFile(file: string): string {
  const key = readFileSync(file, 'utf8').trim();
  if (!KEY.test(key)) {
    throw new ConfigError(
      `The secret key file ${file} is ${key === '' ? 'empty' : 'not a key'}: it must hold 32 bytes in base64 (openssl rand -base64 32).\n` +
        'Restore the secret.key this database was made with, or set GATEHOUSE_SECRET_KEY.',
    );
  }
  return key;
}

/** Whether any table but the migrator's own has a row (migrations insert none). */
function holdsData(databaseFile: string): boolean {
  if (!existsSync(databaseFile)) return false;
  const db = new DatabaseSync(databaseFile, { timeout: 5000 });
  try {
    const tables = db
      .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite\\_%' escape '\\' and name not like 'kysely\\_migration%' escape '\\'")
      .all() as Array<{ name: string }>;
    return tables.some(({ name }) => db.prepare(`select 1 from "${name.replaceAll('"', '""')}" limit 1`).get() !== undefined);
  } finally {
    db.close();
  }
}

/**
 * Written whole, then linked into place: the workers of a cluster start together, and none
 * may read a half-written key or replace another's. False when a key file was there first.
 */
function placeKeyFile(dataDir: string, file: string, key: string): boolean {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const draft = `${file}.${process.pid}.tmp`;
  writeFileSync(draft, `${key}\n`, { mode: 0o600 });
  chmodSync(draft, 0o600);
  try {
    linkSync(draft, file);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(draft, { force: true });
  }
}

function createKeyFile(dataDir: string, file: string): string {
  const key = generateSecretKey();
  return placeKeyFile(dataDir, file, key) ? key : readKeyFile(file);
}

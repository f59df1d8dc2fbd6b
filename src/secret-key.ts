// The key that encrypts secrets at rest. From GATEHOUSE_SECRET_KEY in production; in
// the embedded default it is generated once and kept beside the database (mode 0600).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type Config } from './config.ts';
import { generateSecretKey } from './crypto/index.ts';

export function resolveSecretKey(config: Config): string {
  if (config.secretKey) return config.secretKey;
  if (config.database.kind === 'postgres') {
    // Every node must share one key, so a generated per-node key would break decryption.
    throw new ConfigError(
      'Invalid configuration:\n  GATEHOUSE_SECRET_KEY: required with PostgreSQL (openssl rand -base64 32), the same on every node',
    );
  }
  const file = path.join(config.dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const key = generateSecretKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}

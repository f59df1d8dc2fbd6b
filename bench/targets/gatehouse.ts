// Gatehouse as the benchmark sees it: a real server on a fresh database (SQLite file or a
// throwaway PostgreSQL database), one confidential module granted to every company, and
// users who already have a password and an authenticator app, made straight in the
// store (one argon2id hash shared by all: sign-up is not what is measured).
// Usage: node bench/targets/gatehouse.ts <sqlite|postgres> <users> [workers]. With workers
// above 1, this process makes the fixtures, then forks that many workers (node:cluster)
// sharing the port and the database, like GATEHOUSE_WORKERS (src/cluster.ts).
import '../../src/threadpool.ts';
import cluster from 'node:cluster';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import { createGatehouse } from '../../src/gatehouse.ts';
import { createCompany } from '../../src/companies/store.ts';
import { newTotpSecret } from '../../src/credentials/totp.ts';
import { grantModule, registerModule } from '../../src/modules/index.ts';
import { createUser } from '../../src/users/index.ts';
import { freePort } from '../../test/helpers/net.ts';
import { announce, serveUntilParentLeaves, type LoginUser } from './protocol.ts';
import { countPostgresQueries, pgCounts } from './pg-counter.ts';

const [engine = 'sqlite', userCount = '200', workerCount = '1'] = process.argv.slice(2);
const workers = Number(workerCount);

if (cluster.isWorker) {
  // A worker: the primary's configuration, arrived in the environment.
  const gatehouse = await createGatehouse(loadConfig(process.env), { logger: false, metricsListener: false });
  await gatehouse.listen();
  process.send?.('listening');
  process.on('disconnect', () => void gatehouse.close().finally(() => process.exit(0)));
  await new Promise(() => {});
}
const ADMIN_URL = process.env.GATEHOUSE_BENCH_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/test';
export const BENCH_PASSWORD = 'Velvet-Harbor-42!';
export const REDIRECT_URI = 'http://127.0.0.1:4999/callback';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
let databaseUrl = `sqlite:${path.join(dataDir, 'gatehouse.db')}`;
let dropDatabase = async () => {};
if (engine === 'postgres') {
  countPostgresQueries();
  const name = `gh_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  databaseUrl = url.toString();
  dropDatabase = async () => {
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  };
}

const port = await freePort();
const env = {
  ...process.env,
  PORT: String(port),
  HOST: '127.0.0.1',
  GATEHOUSE_PUBLIC_URL: `http://127.0.0.1:${port}`,
  GATEHOUSE_DATA_DIR: dataDir,
  GATEHOUSE_DATABASE_URL: databaseUrl,
  GATEHOUSE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
  GATEHOUSE_MAIL_FROM: 'Gatehouse <noreply@gatehouse.test>',
};
const config = loadConfig(env);
const gatehouse = await createGatehouse(config, { logger: false });
if (workers === 1) await gatehouse.listen();
const { deps } = gatehouse;
const now = Date.now();

const registered = await registerModule(
  deps.db,
  deps.deriveKey('client-secrets'),
  {
    name: 'Bench Module',
    description: 'Benchmark',
    launchUrl: 'http://127.0.0.1:4999/',
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: [],
    clientType: 'confidential',
  },
  now,
);
const passwordHash = await deps.hasher.hash(BENCH_PASSWORD);
const users: LoginUser[] = [];
const PER_COMPANY = 50;
// One transaction for all of it: a commit (and on SQLite a flush) per user made set-up
// take seconds of the benchmark's time, and set-up is not what is measured.
await deps.db.transaction().execute(async (tx) => {
  for (let c = 0; c * PER_COMPANY < Number(userCount); c++) {
    const company = await createCompany(tx, { name: `Bench Company ${c + 1}` }, now);
    await grantModule(tx, company.id, registered.module.id, now);
    for (let u = 0; u < PER_COMPANY && users.length < Number(userCount); u++) {
      const username = `user${u + 1}`;
      const user = await createUser(tx, company.id, { username, email: `${username}@c${c + 1}.bench.test`, displayName: username, role: u === 0 ? 'root_master' : 'user' }, now);
      const totpSecret = newTotpSecret();
      await tx
        .updateTable('users')
        .set({ password_hash: passwordHash, status: 'active', totp_secret: deps.secrets.encrypt(totpSecret, `totp:${user.id}`), totp_enrolled_at: now })
        .where('company_id', '=', company.id)
        .where('id', '=', user.id)
        .execute();
      users.push({ username, companyName: company.name, password: BENCH_PASSWORD, totpSecret });
    }
  }
});

const pids = [process.pid];
if (workers > 1) {
  await gatehouse.close();
  await Promise.all(
    Array.from({ length: workers }, () => {
      const worker = cluster.fork(env);
      if (worker.process.pid) pids.push(worker.process.pid);
      return new Promise<void>((resolve) => worker.once('message', () => resolve()));
    }),
  );
}

const baseUrl = config.publicUrl.origin;
const issuer = `${baseUrl}/oidc`;
announce({
  baseUrl,
  pid: process.pid,
  pids,
  users,
  redirectUri: REDIRECT_URI,
  oidc: {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    userinfoEndpoint: `${issuer}/me`,
    clientId: registered.module.client_id,
    clientSecret: registered.clientSecret as string,
    accessTokens: [],
    refreshTokens: [],
  },
});

serveUntilParentLeaves(async () => {
  if (workers > 1) await new Promise<void>((resolve) => cluster.disconnect(resolve));
  else await gatehouse.close();
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
}, () => (engine === 'postgres' ? { postgres: { ...pgCounts } } : {}));

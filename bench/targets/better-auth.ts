// The peer: a login built on better-auth 1.7 with its two-factor plugin, on SQLite through
// node:sqlite (the same driver and durability settings as Gatehouse's embedded default),
// hashing with argon2id at the same OWASP parameters. A login here is sign-in (email and
// password) then the TOTP code, two requests.
// Usage: node bench/targets/better-auth.ts <users>
import '../../src/threadpool.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import { twoFactor } from 'better-auth/plugins/two-factor';
import { createPasswordHasher } from '../../src/crypto/index.ts';
import { createSqliteDialect, openSqliteDatabase } from '../../src/storage/sqlite.ts';
import { freePort } from '../../test/helpers/net.ts';
import { announce, serveUntilParentLeaves, type LoginUser } from './protocol.ts';

const userCount = Number(process.argv[2] ?? '200');
const PASSWORD = 'Velvet-Harbor-42!';
const port = await freePort();
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'better-auth-bench-'));
const sqlite = openSqliteDatabase(path.join(dataDir, 'auth.db'));
const hasher = createPasswordHasher(Number(process.env.GATEHOUSE_ARGON2_MAX_CONCURRENCY ?? 4));

const auth = betterAuth({
  baseURL,
  secret: 'bench-secret-bench-secret-bench-secret-0123456789',
  database: { dialect: createSqliteDialect(sqlite).dialect, type: 'sqlite' },
  emailAndPassword: {
    enabled: true,
    password: { hash: (password) => hasher.hash(password), verify: ({ hash, password }) => hasher.verify(hash, password) },
  },
  rateLimit: { enabled: false },
  plugins: [twoFactor({ issuer: 'Bench', skipVerificationOnEnable: true })],
  telemetry: { enabled: false },
});
const { runMigrations } = await getMigrations(auth.options);
await runMigrations();

// One user signs up and turns on 2FA through the API; the rest are copies of its rows
// (hashing is not what set-up should spend its time on).
const first = await auth.api.signUpEmail({ body: { email: 'user0@bench.test', password: PASSWORD, name: 'user0' }, returnHeaders: true });
const cookie = (first.headers.getSetCookie?.() ?? []).map((line) => line.split(';')[0]).join('; ');
const enabled = (await auth.api.enableTwoFactor({ body: { password: PASSWORD }, headers: new Headers({ cookie }) })) as { totpURI: string };
const totpSecret = new URL(enabled.totpURI).searchParams.get('secret') as string;
const firstId = (sqlite.prepare('select id from "user" where email = ?').get('user0@bench.test') as { id: string }).id;
sqlite.exec('begin');
for (let i = 1; i < userCount; i++) {
  const id = `bench-user-${i}`;
  sqlite.prepare(`insert into "user" (id, name, email, emailVerified, image, createdAt, updatedAt, twoFactorEnabled)
    select ?, ?, ?, emailVerified, image, createdAt, updatedAt, twoFactorEnabled from "user" where id = ?`).run(id, `user${i}`, `user${i}@bench.test`, firstId);
  sqlite.prepare(`insert into account (id, accountId, providerId, userId, password, createdAt, updatedAt)
    select ?, ?, providerId, ?, password, createdAt, updatedAt from account where userId = ?`).run(`bench-account-${i}`, id, id, firstId);
  sqlite.prepare(`insert into twoFactor (id, secret, backupCodes, userId)
    select ?, secret, backupCodes, ? from twoFactor where userId = ?`).run(`bench-2fa-${i}`, id, firstId);
}
sqlite.exec('commit');
sqlite.exec('delete from session');

const users: LoginUser[] = Array.from({ length: userCount }, (_, i) => ({ username: `user${i}@bench.test`, companyName: '', password: PASSWORD, totpSecret }));
const handler = toNodeHandler(auth);
const server = createServer((req, res) => void handler(req, res));
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
announce({ baseUrl: baseURL, pid: process.pid, users });
serveUntilParentLeaves(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dataDir, { recursive: true, force: true });
});

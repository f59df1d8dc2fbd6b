// Backup and restore of the embedded default: a backup taken while Gatehouse runs, then
// a Gatehouse started on the restored file (with the same secret key) lets every user
// log in with their password and authenticator code as before.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ACME_REQUEST, approvedCompany, logIn, signedInOperator, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, TEST_SECRET_KEY, type TestServer } from '../helpers/server.ts';

const cli = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));
const scratch = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-backup-'));
const servers: TestServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
  rmSync(scratch, { recursive: true, force: true });
});

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, GATEHOUSE_DEMO_MODULE: 'off', ...env } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('a backup taken while running restores with every login intact, 2FA included', async () => {
  const original = await startTestServer();
  servers.push(original);
  const operator = await signedInOperator(original);
  const company = await approvedCompany(original, operator.agent);
  await signUp(original, company.link);
  const root = { username: company.username, companyName: ACME_REQUEST.companyName, password: STRONG_PASSWORD };
  const { totpSecret } = await logIn(original, original.agent(), root);

  const backupFile = path.join(scratch, 'backup.db');
  const backup = await runCli(['backup', '--out', backupFile], {
    GATEHOUSE_DATABASE_URL: original.database.url,
    GATEHOUSE_DATA_DIR: original.database.dataDir,
    GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY,
  });
  assert.equal(backup.code, 0, backup.output);
  assert.ok(existsSync(backupFile));

  const restored = await startTestServer({ env: { GATEHOUSE_DATABASE_URL: `sqlite:${backupFile}` } });
  servers.push(restored);
  // Codes already used before the backup stay used: log in with a later one.
  restored.clock.set(original.clock() + 60_000);
  const browser = restored.agent();
  await logIn(restored, browser, { ...root, totpSecret });
  const me = await browser.get('/api/me');
  assert.equal(me.status, 200);
  assert.equal(me.body.company.name, ACME_REQUEST.companyName);
  await logIn(restored, restored.agent(), {
    username: operator.username,
    companyName: operator.companyName,
    password: STRONG_PASSWORD,
    totpSecret: operator.totpSecret,
  });
});

// The CLI reads a blank variable as the server does. docs/CONFIG.md: "A variable set to
// an empty or blank value (PORT=, GATEHOUSE_PUBLIC_URL=, a placeholder left empty in an env file) counts as unset: its default applies." and
// docs/OPERATIONS.md, "The first operator": "a command run from a shell without the
// server's PORT or GATEHOUSE_PUBLIC_URL still mails working links". An operator whose env
// file leaves GATEHOUSE_PUBLIC_URL= blank (as the server's own start reads it: unset) must
// get the same from the CLI as with the variable absent: the server's recorded address.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { cleanEnv, runCli } from '../helpers/cli.ts';
import { TEST_SECRET_KEY } from '../helpers/server.ts';
import { loadConfig } from '../../src/config.ts';
import { openStorage } from '../../src/storage/index.ts';
import { recordPublicUrl } from '../../src/settings/index.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-audit-docs-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('a blank GATEHOUSE_PUBLIC_URL counts as unset in the CLI too: the server\'s recorded address is used, not refused', async () => {
  const dataDir = path.join(work, 'data');
  const env = { ...cleanEnv(), GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, GATEHOUSE_LOG_LEVEL: 'warn', GATEHOUSE_DEMO_MODULE: 'off' };
  assert.equal((await runCli(['migrate'], env)).code, 0);
  // The server started with PORT=3917 (or any address), and recorded it, as main.ts does.
  const storage = await openStorage(loadConfig({ GATEHOUSE_DATA_DIR: dataDir }).database);
  try {
    await recordPublicUrl(storage.db, 'http://localhost:3917');
  } finally {
    await storage.close();
  }
  const absent = await runCli(['requests', 'list'], env);
  assert.equal(absent.code, 0, absent.stderr);
  for (const blank of ['', '  ']) {
    const run = await runCli(['requests', 'list'], { ...env, GATEHOUSE_PUBLIC_URL: blank });
    assert.equal(run.code, 0, `GATEHOUSE_PUBLIC_URL=${JSON.stringify(blank)} refused: ${run.stderr}`);
    assert.equal(run.stdout, absent.stdout);
  }
});

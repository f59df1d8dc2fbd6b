// GATEHOUSE_WORKERS: one node as several processes on one SQLite file. The first process
// forks the workers, the node speaks once (one banner), a single-use link raced from many
// connections (spread over the workers) is used exactly once, the metrics port counts every
// worker's requests, and SIGTERM stops the lot.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Agent } from '../helpers/agent.ts';
import { STRONG_PASSWORD, tokenFromLink } from '../helpers/journey.ts';
import { freePort } from '../helpers/net.ts';
import { TEST_SECRET_KEY } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

function sampleSum(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const match of text.matchAll(/^(\w+)\{([^}]*)\} (\S+)$/gm)) {
    if (match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

describe('one node on two workers (SQLite)', () => {
  let child: ChildProcess;
  let output = '';
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let baseUrl: string;
  let metricsUrl: string;
  let dataDir: string;
  before(async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    baseUrl = `http://localhost:${port}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-workers-'));
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(GATEHOUSE_|PORT$|HOST$)/.test(key)));
    child = spawn(process.execPath, [MAIN], {
      env: {
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
        GATEHOUSE_PUBLIC_URL: baseUrl,
        GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY,
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_DEMO_MODULE: 'off',
        GATEHOUSE_LOG_LEVEL: 'warn',
        GATEHOUSE_ARGON2_MAX_CONCURRENCY: '2',
        GATEHOUSE_WORKERS: '2',
        GATEHOUSE_METRICS_PORT: String(metricsPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) => (exited = { code, signal }));
    await until(() => output.includes('Then log in with Username') || exited !== undefined, 'the workers to start', 60_000);
    assert.equal(exited, undefined, `exited at start:\n${output}`);
  });
  after(() => {
    if (child && exited === undefined) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the node speaks once: one banner, one first-operator link', () => {
    assert.equal(output.match(/Gatehouse is running at/g)?.length, 1, output);
    assert.equal(output.match(/\/signup\/[A-Za-z0-9_-]{43}/g)?.length, 1, output);
  });

  test('a Sign Up link raced from eight connections sets the password exactly once', async () => {
    const link = /http:\/\/\S+\/signup\/[A-Za-z0-9_-]{43}/.exec(output)?.[0] as string;
    const token = tokenFromLink(link);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => new Agent(baseUrl).post('/api/signup', { token, password: STRONG_PASSWORD, confirm: STRONG_PASSWORD })),
    );
    assert.deepEqual(answers.map((a) => a.status).filter((s) => s === 200), [200], JSON.stringify(answers.map((a) => [a.status, a.body])));
    assert.ok(answers.every((a) => a.status === 200 || a.status === 400 || a.status === 404 || a.status === 410), JSON.stringify(answers.map((a) => a.status)));
  });

  test("the metrics port sums every worker's requests", async () => {
    const count = async () => sampleSum(await (await fetch(metricsUrl)).text(), 'gatehouse_http_request_duration_seconds_count', { route: '/healthz' });
    const before = await count();
    await Promise.all(Array.from({ length: 12 }, () => fetch(`${baseUrl}/healthz`).then((r) => r.text())));
    assert.equal((await count()) - before, 12);
  });

  test('SIGTERM stops every worker and the node exits cleanly', async () => {
    child.kill('SIGTERM');
    await until(() => exited !== undefined, 'the node to exit', 30_000);
    assert.deepEqual(exited, { code: 0, signal: null }, output);
  });
});

// GATEHOUSE_WORKERS: the primary keeps the node up. Workers that die after serving are
// replaced, even when all of them die at once (the primary must not exit with nothing
// left to wait on); workers that cannot start at all end the node with exit status 1 and
// their error, as a single process does, so a service manager sees the failure.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '../helpers/net.ts';
import { CLI, MAIN, runUntilExit } from '../helpers/node-exit.ts';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.ts';
import { until } from '../helpers/until.ts';

/** The primary's workers, by process id. */
function workersOf(primary: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(primary)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

async function answersReady(baseUrl: string): Promise<boolean> {
  try {
    return (await fetch(`${baseUrl}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

describe('workers that die after the node started', () => {
  let node: NodeProcess;
  after(() => node?.cleanUp());

  test('are replaced, even when every worker dies at once, and the node serves again', async () => {
    node = await startNodeProcess([MAIN]);
    await until(() => workersOf(node.pid).length === 2, 'two workers', 30_000);
    const killed = workersOf(node.pid);
    for (const pid of killed) process.kill(pid, 'SIGKILL');
    // The second worker may not have been listening yet: its death then counts as a failed
    // start ("could not start"), one of several allowed before the node gives up.
    const restarted = (pid: number) => new RegExp(`worker ${pid} (ended \\(SIGKILL\\)|could not start \\(killed by SIGKILL\\)); starting another`).test(node.output());
    await until(() => killed.every(restarted), 'the primary to see both deaths', 30_000);
    // A bound for a loaded machine, not a timing: a worker starts in a few seconds.
    await until(async () => node.exited() !== undefined || (await answersReady(node.baseUrl)), 'a new worker to serve', 120_000);
    assert.equal(node.exited(), undefined, `the primary exited:\n${node.output()}`);
    const replacements = workersOf(node.pid);
    assert.equal(replacements.length, 2, node.output());
    assert.ok(replacements.every((pid) => !killed.includes(pid)), node.output());
    await node.stop();
    assert.deepEqual(node.exited(), { code: 0, signal: null }, node.output());
  });
});

describe('workers that cannot start (the port is taken)', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-workers-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  for (const [how, args] of [
    ['npm start (src/main.ts)', [MAIN]],
    ['gatehouse serve', [CLI, 'serve']],
  ] as const) {
    test(`${how}: the node exits 1 and names the cause`, async () => {
      const port = await freePort();
      const holder = net.createServer();
      await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
      try {
        const ended = await runUntilExit([...args], { PORT: String(port), GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_WORKERS: '2' });
        assert.deepEqual({ code: ended.code, signal: ended.signal }, { code: 1, signal: null }, ended.output);
        assert.match(ended.output, /Gatehouse could not start: no worker could start \(\d+ tries in a row\); the last: \w+ EADDRINUSE/, ended.output);
      } finally {
        holder.close();
      }
    });
  }
});

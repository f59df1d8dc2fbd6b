// A Gatehouse node as its own process, started the way an operator starts one (npm start's
// entry, or the CLI's serve), on a free port and a fresh data folder, with two workers:
// for tests about what only a real process shows (workers, the compiled build, signals).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './net.ts';
import { TEST_SECRET_KEY } from './server.ts';
import { until } from './until.ts';

export interface NodeProcess {
  baseUrl: string;
  dataDir: string;
  /** The process id: the primary's, with workers. */
  pid: number;
  /** Everything the node printed so far, stdout and stderr together. */
  output(): string;
  /** How it ended, once it has. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Sends SIGTERM and waits for the node to exit. */
  stop(): Promise<void>;
  /** Kills what is left and removes the data folder (for `after`). */
  cleanUp(): void;
}

/**
 * Starts `node <args>` and waits for the first worker's banner (the first operator's link),
 * or, with `ready: 'readyz'`, for `GET /readyz` to answer 200: a node on a database whose
 * first operator has signed up prints no link.
 */
export async function startNodeProcess(args: string[], options: { env?: Record<string, string>; inDataDir?: boolean; ready?: 'banner' | 'readyz' } = {}): Promise<NodeProcess> {
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-node-'));
  // Nothing of the test runner's own configuration leaks in.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(GATEHOUSE_|PORT$|HOST$|NODE_OPTIONS$)/.test(key)));
  const child = spawn(process.execPath, args, {
    ...(options.inDataDir ? { cwd: dataDir } : {}),
    env: {
      ...inherited,
      PORT: String(port),
      HOST: '127.0.0.1',
      GATEHOUSE_PUBLIC_URL: baseUrl,
      GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY,
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_DEMO_MODULE: 'off',
      GATEHOUSE_LOG_LEVEL: 'warn',
      GATEHOUSE_ARGON2_MAX_CONCURRENCY: '2',
      GATEHOUSE_WORKERS: '2',
      // As at a terminal, where the banner holds the first operator's link (with JSON logs,
      // the default off a terminal, it only says how to get one).
      GATEHOUSE_LOG_FORMAT: 'pretty',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once('exit', (code, signal) => (exited = { code, signal }));
  const node: NodeProcess = {
    baseUrl,
    dataDir,
    pid: child.pid as number,
    output: () => output,
    exited: () => exited,
    async stop() {
      child.kill('SIGTERM');
      await until(() => exited !== undefined, 'the node to exit', 30_000);
    },
    cleanUp() {
      if (exited === undefined) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  // The banner comes from the first worker, so it also says a worker started.
  try {
    // A bound for a machine under load, not a timing: a node starts in a few seconds.
    const started = options.ready === 'readyz' ? () => answersReady(baseUrl) : () => output.includes('Then log in with Username');
    await until(async () => exited !== undefined || (await started()), 'the node to start', 120_000);
  } catch (error) {
    // Never left running (with its workers) to hold the test run open.
    node.cleanUp();
    throw new Error(`the node did not start:\n${output}`, { cause: error });
  }
  if (exited !== undefined) node.cleanUp();
  assert.equal(exited, undefined, `exited at start:\n${output}`);
  return node;
}

async function answersReady(baseUrl: string): Promise<boolean> {
  try {
    return (await fetch(`${baseUrl}/readyz`)).status === 200;
  } catch {
    return false; // not listening yet
  }
}

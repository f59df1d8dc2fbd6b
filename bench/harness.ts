// Process plumbing for the benchmark: targets and the load generator run as separate
// processes, each pinned to its own core with taskset when the machine has two or more.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Job, LoadResult } from './load.ts';
import type { TargetReady } from './targets/protocol.ts';

const here = path.dirname(new URL(import.meta.url).pathname);
export const cores = availableParallelism();
const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
/** Core lists: the server side gets core 0 (or `serverCores`), the load generator the last core. */
export const pinning = { enabled: hasTaskset && cores > 1, server: '0', load: String(cores - 1) };

function command(cpus: string, script: string, args: string[], nodeFlags: string[] = []) {
  const node = [process.execPath, ...nodeFlags, path.join(here, script), ...args];
  return pinning.enabled ? ['taskset', '-c', cpus, ...node] : node;
}

export interface Target {
  ready: TargetReady;
  stats(): Promise<{ rssMiB: number; postgres?: { roundTrips: number; writes: number; transactions: number } }>;
  stop(): Promise<void>;
}

export async function startTarget(script: string, args: string[], options: { cpus?: string; env?: Record<string, string>; nodeFlags?: string[] } = {}): Promise<Target> {
  const [file, ...rest] = command(options.cpus ?? pinning.server, script, args, options.nodeFlags);
  const child: ChildProcessWithoutNullStreams = spawn(file as string, rest, { env: { ...process.env, ...options.env }, stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout });
  const waiting: Array<(line: string) => void> = [];
  let onReady: (ready: TargetReady) => void = () => {};
  lines.on('line', (line) => {
    if (line.startsWith('ready ')) onReady(JSON.parse(line.slice(6)) as TargetReady);
    else if (line.startsWith('stats ')) waiting.shift()?.(line.slice(6));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = await Promise.race([
    new Promise<TargetReady>((resolve) => {
      onReady = resolve;
    }),
    exited.then((code) => {
      throw new Error(`${script} exited (${code}) before it was ready:\n${stderr}`);
    }),
  ]);
  return {
    ready,
    stats: () =>
      new Promise((resolve) => {
        waiting.push((line) => resolve(JSON.parse(line)));
        child.stdin.write('stats\n');
      }),
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}

/** One load job in a fresh load-generator process. */
export async function runLoad(job: Job): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-load-'));
  const file = path.join(dir, 'job.json');
  writeFileSync(file, JSON.stringify(job));
  try {
    return await runScript<LoadResult>(pinning.load, 'load.ts', [file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a script to its end and returns what it printed as `result <json>`. */
export function runScript<T>(cpus: string, script: string, args: string[]): Promise<T> {
  const [file, ...rest] = command(cpus, script, args);
  return new Promise((resolve, reject) => {
    const child = spawn(file as string, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('result '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as T);
      else reject(new Error(`${script} failed (${code}):\n${err}${out}`));
    });
  });
}

// Process plumbing for the benchmark: targets and the load generator run as separate
// processes, each pinned to its own core with taskset when the machine has two or more.
// They all start at once and unpinned, so their start-ups (loading code, making fixtures)
// overlap on every core; each is pinned to its core(s) once all are ready, before any load.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { EndpointJob, LoadResult, LoginJob } from './load.ts';
import type { TargetReady } from './targets/protocol.ts';

const here = path.dirname(new URL(import.meta.url).pathname);
export const cores = availableParallelism();
const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
/** Core lists: the server side gets core 0 (or `serverCores`), the load generator the last core. */
export const pinning = { enabled: hasTaskset && cores > 1, server: '0', load: String(cores - 1) };

/** How many cores a taskset list such as `0` or `0-1,3` names. */
function coreCount(cpus: string) {
  return cpus.split(',').reduce((n, range) => {
    const [from, to = from] = range.split('-').map(Number) as [number, number?];
    return n + (to as number) - from + 1;
  }, 0);
}

export interface Target {
  ready: TargetReady;
  /** Sends a command (targets/protocol.ts) and waits for its answer. */
  command<T>(name: string, args?: unknown): Promise<T>;
  stats(): Promise<{ rssMiB: number; postgres?: { roundTrips: number; writes: number; transactions: number } }>;
  /** Pins every process of the target to its cores (after start-up, before any load). */
  pin(): void;
  stop(): Promise<void>;
}

export async function startTarget(script: string, args: string[], options: { cpus?: string; env?: Record<string, string>; nodeFlags?: string[] } = {}): Promise<Target> {
  const cpus = options.cpus ?? pinning.server;
  const env: Record<string, string | undefined> = {
    ...process.env,
    // Start-up is not measured: the compiled code of every module (TypeScript stripped
    // included) is cached between processes and runs, which halves a start-up.
    NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? path.join(tmpdir(), 'gatehouse-bench-compile-cache'),
    // The thread pool a process would size for the cores it is pinned to (src/threadpool.ts),
    // although it starts unpinned.
    ...(pinning.enabled ? { UV_THREADPOOL_SIZE: String(Math.max(4, coreCount(cpus))) } : {}),
    ...options.env,
  };
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [...(options.nodeFlags ?? []), path.resolve(here, script), ...args], { env, stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout });
  // Answers come in the order the commands were sent.
  const waiting: Array<{ name: string; resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  let onReady: (ready: TargetReady) => void = () => {};
  lines.on('line', (line) => {
    if (line.startsWith('ready ')) return onReady(JSON.parse(line.slice(6)) as TargetReady);
    const next = waiting[0];
    if (next && line.startsWith(`${next.name} `)) {
      waiting.shift();
      next.resolve(line.slice(next.name.length + 1));
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  void exited.then((code) => {
    for (const next of waiting.splice(0)) next.reject(new Error(`${script} exited (${code}) during ${next.name}:\n${stderr}`));
  });
  const ready = await Promise.race([
    new Promise<TargetReady>((resolve) => {
      onReady = resolve;
    }),
    exited.then((code) => {
      throw new Error(`${script} exited (${code}) before it was ready:\n${stderr}`);
    }),
  ]);
  const command = <T>(name: string, commandArgs?: unknown) =>
    new Promise<T>((resolve, reject) => {
      waiting.push({ name, resolve: (line) => resolve(JSON.parse(line) as T), reject });
      child.stdin.write(commandArgs === undefined ? `${name}\n` : `${name} ${JSON.stringify(commandArgs)}\n`);
    });
  return {
    ready,
    command,
    stats: () => command('stats'),
    pin() {
      if (!pinning.enabled) return;
      for (const pid of ready.pids ?? [ready.pid]) {
        // -a: every thread the process has; threads started later inherit it.
        const done = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
        if (done.status !== 0) throw new Error(`taskset ${cpus} ${pid}: ${done.stderr}`);
      }
    },
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}

/** The load generator (load.ts): one process for the run, on the last core. */
export interface LoadGenerator {
  register(name: string, ready: TargetReady): Promise<void>;
  login(job: LoginJob): Promise<LoadResult & { all: number }>;
  endpoint(job: EndpointJob): Promise<LoadResult>;
  target: Target;
}

export async function startLoadGenerator(): Promise<LoadGenerator> {
  const target = await startTarget('load.ts', [], { cpus: pinning.load });
  return {
    target,
    register: (name, ready) => target.command('register', { name, ready }),
    login: (job) => target.command('login', job),
    endpoint: (job) => target.command('endpoint', job),
  };
}

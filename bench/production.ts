// The idle memory of Gatehouse as production runs it: the server built to JavaScript
// (scripts/build-server.ts) and started the way `npm start` starts it, with the young
// generation's flag (src/v8-flags.ts), on a fresh SQLite data folder. The benchmark's other
// Gatehouses run the TypeScript sources, so they carry Node's type stripper (docs/PERFORMANCE-LOG.md,
// Memory); this one does not. Only --expose-gc and a plain-JS probe are added, to read the
// memory after a full GC.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { YOUNG_GENERATION_FLAG } from '../src/v8-flags.ts';
import { freePort } from '../test/helpers/net.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
/** build-server.ts takes dist/ or a folder under test-output/: this one, so a developer's dist/ stays as it is. */
const BUILD_DIR = path.join('test-output', 'bench-server');
const probe = fileURLToPath(new URL('./targets/memory-probe.js', import.meta.url));
const PROBE_PREFIX = 'memory-probe ';
const MiB = (bytes: number) => Number((bytes / 1048576).toFixed(1));

export interface MemorySample {
  /** Seconds after the server said it was running, when read. */
  atSeconds: number;
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  /** From /proc/<pid>/smaps_rollup (Linux): anonymous memory, and the rest (mostly the node binary's pages, shared). */
  anonymousMiB: number | null;
  fileBackedMiB: number | null;
  threads: number | null;
}

export interface ProductionLayout {
  buildSeconds: number;
  /** From the process's start to its "Gatehouse is running at" line. */
  listeningSeconds: number;
  /** The memory after a full GC, once `atSeconds` have passed since the server said it was running. */
  sample(atSeconds: number): Promise<MemorySample>;
  /** Pins the server's threads to `cpus` (taskset), as the benchmark pins its waiting targets. */
  pin(cpus: string): void;
  stop(): Promise<void>;
}

function run(command: string, args: string[]) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited ${code}:\n${stderr}`))));
  });
}

/** Anonymous and file-backed resident memory of a process, where Linux says. */
function residentKinds(pid: number) {
  const file = `/proc/${pid}/smaps_rollup`;
  if (!existsSync(file)) return { anonymousMiB: null, fileBackedMiB: null, threads: null };
  const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ?? 0) * 1024;
  return {
    anonymousMiB: MiB(kB('Anonymous')),
    fileBackedMiB: MiB(kB('Rss') - kB('Anonymous')),
    threads: readdirSync(`/proc/${pid}/task`).length,
  };
}

/** Builds the server and starts it; resolves once it is running. */
export async function startProductionLayout(): Promise<ProductionLayout> {
  const buildStarted = performance.now();
  await run(process.execPath, [path.join(root, 'scripts', 'build-server.ts'), BUILD_DIR]);
  const buildSeconds = Number(((performance.now() - buildStarted) / 1000).toFixed(1));

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-production-'));
  const port = await freePort();
  // The environment of an operator's shell, less anything that would change what is measured:
  // Gatehouse's own settings, the benchmark's compile cache and thread pool size, NODE_OPTIONS.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(GATEHOUSE_|NODE_OPTIONS$|NODE_COMPILE_CACHE$|UV_THREADPOOL_SIZE$)/.test(name)));
  const env = { ...inherited, PORT: String(port), HOST: '127.0.0.1', GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_DEMO_MODULE: 'off' };
  const started = performance.now();
  const child = spawn(process.execPath, [YOUNG_GENERATION_FLAG, '--expose-gc', '--import', probe, path.join(root, BUILD_DIR, 'src', 'main.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // Not left running if the benchmark fails half-way.
  const orphaned = () => child.kill('SIGTERM');
  process.once('exit', orphaned);
  const stderrLines = createInterface({ input: child.stderr });
  let stderr = '';
  // The probe's answers, in the order asked; anything else is kept for an error message.
  const probeAnswers: Array<(memory: NodeJS.MemoryUsage) => void> = [];
  stderrLines.on('line', (line) => {
    if (line.startsWith(PROBE_PREFIX)) probeAnswers.shift()?.(JSON.parse(line.slice(PROBE_PREFIX.length)) as NodeJS.MemoryUsage);
    else stderr += `${line}\n`;
  });
  const died = (when: string) => exited.then((code) => Promise.reject(new Error(`${BUILD_DIR}/src/main.js exited (${code}) ${when}:\n${stderr}`)));
  const stop = async () => {
    process.off('exit', orphaned);
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(path.join(root, BUILD_DIR), { recursive: true, force: true });
  };
  try {
    // main.ts prints this once it listens and its first-start work (operator set-up link) is done.
    const running = new Promise<void>((resolve) => createInterface({ input: child.stdout }).on('line', (line) => line.includes('Gatehouse is running at') && resolve()));
    await Promise.race([running, died('before it listened')]);
  } catch (error) {
    await stop();
    throw error;
  }
  const runningAt = performance.now();
  return {
    buildSeconds,
    listeningSeconds: Number(((runningAt - started) / 1000).toFixed(1)),
    async sample(atSeconds) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, runningAt + atSeconds * 1000 - performance.now())));
      const measured = new Promise<NodeJS.MemoryUsage>((resolve) => probeAnswers.push(resolve));
      child.kill('SIGUSR2');
      const memory = await Promise.race([measured, died('before it answered the probe')]);
      const at = Number(((performance.now() - runningAt) / 1000).toFixed(1));
      return { atSeconds: at, rssMiB: MiB(memory.rss), heapUsedMiB: MiB(memory.heapUsed), heapTotalMiB: MiB(memory.heapTotal), ...residentKinds(child.pid as number) };
    },
    pin(cpus) {
      // -a: every thread the process has; threads started later inherit it.
      const done = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(child.pid)], { encoding: 'utf8' });
      if (done.status !== 0) throw new Error(`taskset ${cpus} ${child.pid}: ${done.stderr}`);
    },
    stop,
  };
}

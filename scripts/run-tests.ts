/**
 * Runs test files with Node's test runner, several files to a process.
 *
 *   node scripts/run-tests.ts [--concurrency N] [--files-per-process N] [--test-…] [files or globs…]
 *
 * Why not `node --test` alone: it gives every file a process of its own, and each such
 * process loads about 1,230 modules (the server, Kysely, oidc-provider) before its first
 * test, a quarter of the whole suite's CPU on two cores. Here each process runs a batch of
 * files one after another (scripts/test-batch.ts, each file a suite of its own), loading
 * the modules once; batches run side by side (three by default: a file waits on its
 * database, its mail and its browser for part of its time, and a third process fills
 * that; a fourth was slower, 214 s against 202 s on the OpenID Connect, storage and unit
 * tests, the two CPUs being busy throughout).
 *
 * Each batch's report is printed whole when the batch ends (reports never interleave),
 * then one summary for the run; the exit code is 1 when any batch failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { globSync } from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';

interface Options {
  concurrency: number;
  filesPerProcess: number;
  testFlags: string[];
  patterns: string[];
}

interface Batch {
  files: string[];
}

interface BatchResult {
  batch: Batch;
  /** Passed only with exit code 0 and the runner's summary printed: a file calling process.exit(0) mid-run ends its batch with 0 and no summary. */
  passed: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  seconds: number;
  counts: Map<string, number>;
}

const DEFAULT_PATTERNS = ['src/**/*.test.ts', 'test/**/*.test.ts'];
/** Browser tests take minutes a file: smaller batches keep the run's end from waiting on one long batch. */
const BROWSER_FILES_PER_PROCESS = 2;
const SUMMARY_KEYS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];
const BATCH_ENTRY = path.join(import.meta.dirname, 'test-batch.ts');

function parseArgs(argv: string[]): Options {
  const options: Options = { concurrency: 3, filesPerProcess: 8, testFlags: [], patterns: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.split('=', 2) as [string, string | undefined];
    const value = () => {
      const given = inline ?? argv[++i];
      const number = Number(given);
      if (!Number.isInteger(number) || number < 1) throw new Error(`${name} takes a whole number of at least 1, not ${given ?? 'nothing'}`);
      return number;
    };
    if (name === '--concurrency') options.concurrency = value();
    else if (name === '--files-per-process') options.filesPerProcess = value();
    else if (arg.startsWith('--test-')) options.testFlags.push(arg);
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else options.patterns.push(arg);
  }
  if (options.patterns.length === 0) options.patterns = DEFAULT_PATTERNS;
  return options;
}

function testFiles(patterns: string[]): string[] {
  const files = new Set<string>();
  for (const pattern of patterns) {
    const matched = globSync(pattern, { exclude: (name) => name === 'node_modules' });
    if (matched.length === 0) throw new Error(`no test file matches ${pattern}`);
    for (const file of matched) files.add(path.normalize(file));
  }
  return [...files].sort();
}

const isBrowserTest = (file: string) => file.split(path.sep).includes('e2e');

/**
 * Browser tests first (the longest files, so none is left to run alone at the end), then
 * the rest folder by folder. Batches are cut as they are handed out, so they shrink
 * towards the end of the run and the lanes finish together.
 */
function queueOf(files: string[]): string[] {
  return [...files.filter(isBrowserTest), ...files.filter((file) => !isBrowserTest(file))];
}

function nextBatch(queue: string[], options: Options): Batch | undefined {
  const first = queue.shift();
  if (first === undefined) return undefined;
  const browser = isBrowserTest(first);
  const size = Math.min(browser ? BROWSER_FILES_PER_PROCESS : options.filesPerProcess, Math.ceil((queue.length + 1) / options.concurrency));
  const files = [first];
  while (files.length < size) {
    const index = queue.findIndex((file) => isBrowserTest(file) === browser);
    if (index === -1) break;
    files.push(...queue.splice(index, 1));
  }
  return { files };
}

/** The batch's own summary (its last "ℹ tests 12" lines), colours or not (FORCE_COLOR in a CI's environment colours a pipe too). */
function countsOf(output: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of stripVTControlCharacters(output).matchAll(/^ℹ (\w+) (\d+(?:\.\d+)?)$/gm)) {
    if (SUMMARY_KEYS.includes(match[1]!)) counts.set(match[1]!, Number(match[2]));
  }
  return counts;
}

const running = new Set<ChildProcess>();

function runBatch(batch: Batch, options: Options): Promise<BatchResult> {
  const started = performance.now();
  // NODE_TEST_CONTEXT, when this runner itself runs under a test runner, would make each
  // batch talk the runner's binary protocol instead of printing its report.
  const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
  if (process.stdout.isTTY && !env.NO_COLOR) env.FORCE_COLOR = '1';
  env.GATEHOUSE_TEST_BATCH = JSON.stringify(batch.files);
  // --test-force-exit: a handle a file left open (a timer, a socket) must not hold the batch up after its last test.
  const child = spawn(process.execPath, ['--test-reporter=spec', '--test-force-exit', ...options.testFlags, BATCH_ENTRY], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => {
    child.on('close', (exitCode, signal) => {
      running.delete(child);
      const output = Buffer.concat(chunks).toString('utf8');
      const counts = countsOf(output);
      const passed = exitCode === 0 && counts.has('tests') && counts.get('fail') === 0;
      resolve({ batch, passed, exitCode, signal, output, seconds: (performance.now() - started) / 1000, counts });
    });
  });
}

function header(result: BatchResult, done: number, total: number): string {
  let state = `failed (exit ${result.exitCode})`;
  if (result.passed) state = 'passed';
  else if (result.signal) state = `ended by ${result.signal}`;
  else if (result.exitCode === 0) state = 'ended before its summary (process.exit?)';
  return `\n━━ ${done} of ${total} files: ${result.batch.files.length} ${state} in ${result.seconds.toFixed(1)} s\n   ${result.batch.files.join('\n   ')}\n`;
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const files = testFiles(options.patterns);
  const queue = queueOf(files);
  const started = performance.now();
  const results: BatchResult[] = [];
  let filesDone = 0;
  const lane = async () => {
    for (let batch = nextBatch(queue, options); batch; batch = nextBatch(queue, options)) {
      const result = await runBatch(batch, options);
      results.push(result);
      filesDone += batch.files.length;
      process.stdout.write(header(result, filesDone, files.length) + result.output);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, files.length) }, lane));

  const totals = new Map(SUMMARY_KEYS.map((key) => [key, 0]));
  for (const result of results) for (const [key, count] of result.counts) totals.set(key, totals.get(key)! + count);
  const failed = results.filter((result) => !result.passed);
  const lines = ['', '━━ all files'];
  for (const [key, count] of totals) lines.push(`ℹ ${key} ${count}`);
  lines.push(`ℹ files ${files.length} in ${results.length} processes, ${options.concurrency} at a time`);
  lines.push(`ℹ duration_ms ${Math.round(performance.now() - started)}`);
  for (const result of failed) lines.push(`✖ failed: ${result.batch.files.join(', ')} (${result.signal ?? `exit ${result.exitCode}`}; its report is above)`);
  lines.push(failed.length === 0 ? '✔ every file passed' : `✖ ${failed.length} of ${results.length} processes failed`);
  process.stdout.write(lines.join('\n') + '\n');
  return failed.length === 0 ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of running) child.kill(signal);
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`run-tests: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);

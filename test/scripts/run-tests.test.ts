// The suite's runner (scripts/run-tests.ts) puts several test files in one process. What
// it must never do is pass a run in which a test failed or did not run: a failure, a
// file that cannot load, and a file that ends its process early each fail the run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

const RUNNER = path.resolve(import.meta.dirname, '../../scripts/run-tests.ts');

describe('the test runner', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gh-run-tests-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const logFile = path.join(dir, 'log.txt');
  const log = (what: string) => `appendFileSync(${JSON.stringify(logFile)}, ${what} + '\\n')`;
  const logged = () => readFileSync(logFile, 'utf8').trim().split('\n');
  const files = {
    passA: `import { appendFileSync } from 'node:fs'; import { test } from 'node:test'; test('a passes', () => ${log("'a ' + process.pid")});`,
    passB: `import { appendFileSync } from 'node:fs'; import { test } from 'node:test'; test('b passes', () => ${log("'b ' + process.pid")});`,
    hooks: [
      `import { appendFileSync } from 'node:fs'; import { after, beforeEach, test } from 'node:test';`,
      `beforeEach(() => ${log("'hooks: before each'")});`,
      `after(() => ${log("'hooks: after'")});`,
      `test('hooks pass', () => ${log("'hooks ' + process.pid")});`,
    ].join('\n'),
    fails: `import { test } from 'node:test'; import assert from 'node:assert'; test('this one fails', () => assert.equal(1, 2));`,
    exits: `import { test } from 'node:test'; test('ends the process early', () => process.exit(0)); test('never runs', () => {});`,
    throwsOnLoad: `throw new Error('this file cannot load');`,
  };
  const filePath = (name: keyof typeof files) => path.join(dir, `${name}.test.mjs`);
  for (const [name, body] of Object.entries(files)) writeFileSync(filePath(name as keyof typeof files), body + '\n');

  function run(...names: Array<keyof typeof files>): Promise<{ code: number | null; output: string }> {
    return runWith(['--concurrency', '1', ...names.map(filePath)]);
  }
  function runWith(args: string[], colours: Record<string, string> = { NO_COLOR: '1' }): Promise<{ code: number | null; output: string }> {
    const { NO_COLOR: _no, FORCE_COLOR: _force, ...env } = process.env;
    const child = spawn(process.execPath, [RUNNER, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, ...colours } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
  }

  test("files share a process, each file's hooks stay with its own tests, and the totals add up", async () => {
    writeFileSync(logFile, '');
    const { code, output } = await run('hooks', 'passA', 'passB');
    assert.equal(code, 0, output);
    assert.match(output, /━━ all files\nℹ tests 3\n/);
    assert.match(output, /^ℹ pass 3$/m);
    assert.match(output, /^ℹ files 3 in 1 processes/m);
    assert.match(output, /^▶ .*hooks\.test\.mjs$/m, 'a file is a suite named by its path');
    const [pid] = logged().filter((line) => line.startsWith('hooks ')).map((line) => line.split(' ')[1]);
    assert.deepEqual(logged(), ['hooks: before each', `hooks ${pid}`, 'hooks: after', `a ${pid}`, `b ${pid}`]);
  });

  test('reports coloured by FORCE_COLOR (as some CI environments set it) are counted all the same', async () => {
    const { code, output } = await runWith(['--concurrency', '1', filePath('passA'), filePath('passB')], { FORCE_COLOR: '1' });
    assert.equal(code, 0, output);
    assert.ok(output.includes('\u001b['), 'the batch report is coloured');
    assert.match(output, /^ℹ pass 2$/m);
  });

  test('a failing test fails the run and names its file', async () => {
    const { code, output } = await run('passA', 'fails');
    assert.equal(code, 1, output);
    assert.match(output, /^ℹ fail 1$/m);
    assert.match(output, /✖ failed: .*fails\.test\.mjs/);
  });

  test('a file that ends its process early fails the run, though the exit code was 0', async () => {
    const { code, output } = await run('exits', 'passA');
    assert.equal(code, 1, output);
    assert.match(output, /ended before its summary/);
  });

  test('a file that cannot load fails the run', async () => {
    const { code, output } = await run('throwsOnLoad', 'passA');
    assert.equal(code, 1, output);
    assert.match(output, /this file cannot load/);
  });

  test('an unknown option, a bad count or a pattern matching nothing is refused before anything runs', async () => {
    for (const args of [['--concurrenzy', '2', filePath('passA')], ['--concurrency', '0', filePath('passA')], [path.join(dir, 'none-*.test.mjs')]]) {
      const { code, output } = await runWith(args);
      assert.equal(code, 2, `${args.join(' ')}: ${output}`);
      assert.match(output, /^run-tests: /m);
      assert.doesNotMatch(output, /ℹ tests/);
    }
  });
});

// Every capability's door loads first. Capabilities import each other's doors, so the
// module graph has cycles; a cycle is harmless until a module uses an imported value while
// it loads (a top-level `[...POLICY_COLUMNS]`), which then depends on which door a process
// happened to import first: a test file, the CLI or a worker importing another door than
// the server does crashed at start-up with "Cannot access ... before initialization".
// Each door is imported first in a fresh module graph (a worker thread of its own).
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

const src = path.dirname(new URL(import.meta.url).pathname);
const doors = readdirSync(src, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(path.join(src, entry.name, 'index.ts')))
  .map((entry) => path.join(src, entry.name, 'index.ts'));

/** Imports `file` first in a fresh module graph; resolves with the error's first line, or null. */
function loadFirst(file: string): Promise<string | null> {
  const worker = new Worker(`import(${JSON.stringify(file)}).then(() => process.exit(0), (error) => { console.error(String(error)); process.exit(1); });`, {
    eval: true,
    stderr: true,
    stdout: true,
  });
  let said = '';
  worker.stderr.on('data', (chunk: Buffer) => (said += chunk.toString()));
  return new Promise((resolve) => worker.on('exit', (code) => resolve(code === 0 ? null : said.split('\n')[0] || `exit ${code}`)));
}

test('each capability door loads when it is the first module imported', async () => {
  assert.ok(doors.length >= 10, `found the doors: ${doors.length}`);
  const failures: string[] = [];
  // Two at a time: each worker loads a large part of the code.
  for (let i = 0; i < doors.length; i += 2) {
    const pair = doors.slice(i, i + 2);
    const results = await Promise.all(pair.map(loadFirst));
    results.forEach((failure, at) => failure && failures.push(`${path.relative(src, pair[at] as string)}: ${failure}`));
  }
  assert.deepEqual(failures, []);
});

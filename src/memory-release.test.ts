import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

const moduleUrl = JSON.stringify(new URL('./memory-release.ts', import.meta.url).href);

// A process that made garbage, then went quiet: started without --expose-gc, as production
// starts the server, and with V8's memory reducer looking every 0.5 s instead of every 8.
const script = `
import { getHeapStatistics } from 'node:v8';
import { releaseMemoryWhenQuiet } from ${moduleUrl};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const physical = () => getHeapStatistics().total_physical_size;
let garbage = Array.from({ length: 400_000 }, (_, i) => ({ i, text: 'x'.repeat(24) + i }));
await sleep(100);
const held = physical();
garbage = undefined;
// The release's timer never holds the process open; this does, until the end.
const keepAlive = setInterval(() => {}, 1000);
let nudged;
const done = new Promise((resolve) => (nudged = resolve));
const release = releaseMemoryWhenQuiet({ intervalMs: 50, onNudge: () => nudged() });
await done;
while (physical() > held - 16 * 1048576) await sleep(200);
release.stop();
clearInterval(keepAlive);
console.log(JSON.stringify({ releasedMiB: Math.round((held - physical()) / 1048576), gcVisible: typeof globalThis.gc }));
`;

test('a process gone quiet gives back the heap its garbage held, and libraries still see no gc function', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, ['--gc-memory-reducer-start-delay-ms=500', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 0);
  const result = JSON.parse(out) as { releasedMiB: number; gcVisible: string };
  assert.ok(result.releasedMiB >= 16, out);
  assert.equal(result.gcVisible, 'undefined');
});

test('the release never keeps a process alive', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', `import { releaseMemoryWhenQuiet } from ${moduleUrl}; releaseMemoryWhenQuiet();`], { stdio: 'inherit' });
  assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0);
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

// In a process of its own, started without --expose-gc, as production starts the server, and
// with V8's own memory reducer off, so that only the release can give the memory back.
const script = `
import { getHeapStatistics } from 'node:v8';
import { releaseMemoryWhenQuiet } from ${JSON.stringify(new URL('./memory-release.ts', import.meta.url).href)};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const physical = () => getHeapStatistics().total_physical_size;
let garbage = Array.from({ length: 400_000 }, (_, i) => ({ i, text: 'x'.repeat(24) + i }));
await sleep(100);
const held = physical();
garbage = undefined;
const release = releaseMemoryWhenQuiet({ intervalMs: 50 });
// Nothing allocates from here on, so nothing but the release collects.
while (physical() > held - 16 * 1048576) await sleep(50);
release.stop();
console.log(JSON.stringify({ releasedMiB: Math.round((held - physical()) / 1048576), gcVisible: typeof globalThis.gc }));
`;

test('a quiet process gives back the heap its garbage held, and libraries still see no gc function', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, ['--no-memory-reducer', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 0);
  const result = JSON.parse(out) as { releasedMiB: number; gcVisible: string };
  assert.ok(result.releasedMiB >= 16, out);
  assert.equal(result.gcVisible, 'undefined');
});

test('the release never keeps a process alive', { timeout: 60_000 }, async () => {
  const started = `import { releaseMemoryWhenQuiet } from ${JSON.stringify(new URL('./memory-release.ts', import.meta.url).href)}; releaseMemoryWhenQuiet();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', started], { stdio: 'inherit' });
  assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0);
});

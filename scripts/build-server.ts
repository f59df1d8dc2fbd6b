// Emits the server as JavaScript into dist/ (or the folder given), which production runs:
// Node then never loads its TypeScript type stripper, tens of MiB of every process
// (docs/PERFORMANCE-LOG.md, Memory). Run by `npm run build:server`. Only transpiles: the types
// are checked by `npm run typecheck`.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = path.resolve(root, process.argv[2] ?? 'dist');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const started = performance.now();

// The folder is deleted first, so only a build folder will do: dist/ or one under test-output/.
const relative = path.relative(root, outDir);
if (relative !== 'dist' && !/^test-output[\\/][^\\/]/.test(relative)) {
  console.error(`build:server: the output folder must be dist or under test-output/, not ${relative || '.'}`);
  process.exit(2);
}

// From empty, so a source file deleted since the last build does not linger as JavaScript.
rmSync(outDir, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
} catch {
  console.error('build:server failed');
  process.exit(1);
}

console.log(`build:server: ${path.relative(root, outDir)} built in ${Math.round(performance.now() - started)} ms`);

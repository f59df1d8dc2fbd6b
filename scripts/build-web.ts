// Builds the React app into web/dist, which the server serves. Run by `npm run build:web`.
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const configFile = fileURLToPath(new URL('../web/vite.config.ts', import.meta.url));
const started = performance.now();

try {
  // Vite's own progress output is silenced; warnings and errors still show.
  await build({ configFile, logLevel: 'warn' });
} catch (error) {
  console.error('build:web failed:', error instanceof Error ? error.message : error);
  process.exit(1);
}

console.log(`build:web: web/dist built in ${Math.round(performance.now() - started)} ms`);

#!/usr/bin/env node
// The `gatehouse` command. The CLI is TypeScript run by Node's type stripping, which
// needs Node.js 24; the repo pins it (the `node` package), and `npx gatehouse` or
// `npm run gatehouse --` put that Node first on PATH. It runs the sources, not the build in
// dist/: a command lasts seconds, so the type stripper's memory does not matter, and it can
// never run a build older than the code. The long-running server of production is started
// from dist/ instead (docs/OPERATIONS.md).
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `gatehouse needs Node.js 24 or newer, and this is Node.js ${process.versions.node}.\n` +
      'Run it through npx gatehouse or npm run gatehouse -- (they use the Node.js 24 the repo installs).',
  );
  process.exit(1);
}
await import('../src/cli/index.ts');

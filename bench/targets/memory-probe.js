// Preloaded (`node --expose-gc --import`) into a Gatehouse started as production starts it
// (bench/production.ts). Plain JavaScript, so that measuring the compiled server does not
// load Node's TypeScript stripper into it. On SIGUSR2: a full GC, then one line on stderr,
// `memory-probe <process.memoryUsage() as JSON>`.
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  process.stderr.write(`memory-probe ${JSON.stringify(process.memoryUsage())}\n`);
});

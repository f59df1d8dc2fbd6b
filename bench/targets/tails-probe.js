// Preloaded (`node --import`) into a Gatehouse by bench/tails.ts. Records, in wall-clock
// milliseconds, every garbage collection's pause (from V8's own GC entries) and every stall
// of the event loop: a timer due every millisecond, late by more than 4 ms, with how much
// of that time the main thread was on the CPU (user and kernel), so that a stall the
// process spent working tells itself from one it spent waiting for the core. Written as
// JSON to $TAILS_PROBE_FILE when the process exits. Plain JavaScript, loaded before the
// server. The timer costs about 1% of a core: fine for finding tails, not for rates.
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const file = process.env.TAILS_PROBE_FILE;
const at = (relative) => Math.round(performance.timeOrigin + relative);
const pauses = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) pauses.push({ at: at(entry.startTime), kind: entry.detail?.kind ?? 0, ms: Number(entry.duration.toFixed(2)) });
}).observe({ entryTypes: ['gc'] });

const stalls = [];
let last = performance.now();
let lastCpu = process.threadCpuUsage();
setInterval(() => {
  const now = performance.now();
  const cpu = process.threadCpuUsage();
  const late = now - last - 1;
  if (late > 4) {
    stalls.push({ at: at(last), ms: Number(late.toFixed(1)), userMs: Number(((cpu.user - lastCpu.user) / 1000).toFixed(1)), systemMs: Number(((cpu.system - lastCpu.system) / 1000).toFixed(1)) });
  }
  last = now;
  lastCpu = cpu;
}, 1).unref();

if (file) process.on('exit', () => writeFileSync(file, JSON.stringify({ pauses, stalls })));

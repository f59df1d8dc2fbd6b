// What Linux's /proc says of a process and its threads, for the tools that ask where a
// server's time went (steps.ts, tails.ts). Linux only.
import { readdirSync, readFileSync } from 'node:fs';

/** A /proc stat line: the name between its parentheses (which may hold spaces) and the fields after them, from `state` on. */
function stat(file: string): { name: string; fields: string[] } {
  const line = readFileSync(file, 'utf8');
  return { name: line.slice(line.indexOf('(') + 1, line.lastIndexOf(')')), fields: line.slice(line.lastIndexOf(')') + 2).split(' ') };
}

export type ThreadsCpu = { main: number; pool: number; v8: number };

/**
 * CPU nanoseconds so far of a Node process's main thread, its thread pool (password hashes,
 * WebCrypto's signatures) and V8's own threads (garbage collection, compilation), from each
 * thread's schedstat: time on a CPU only, waiting for the disk or the core not counted.
 */
export function threadsCpu(pid: number): ThreadsCpu {
  const total: ThreadsCpu = { main: 0, pool: 0, v8: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const onCpu = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const { name } = stat(`/proc/${pid}/task/${tid}/stat`);
      total[tid === String(pid) ? 'main' : name.startsWith('libuv') ? 'pool' : 'v8'] += onCpu;
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return total;
}

/** Page faults of a process so far: minor (no disk) and major (read back from the disk). */
export function pageFaults(pid: number): { minor: number; major: number } {
  const { fields } = stat(`/proc/${pid}/stat`);
  return { minor: Number(fields[7]), major: Number(fields[9]) };
}

/** CPU ticks (1/100 s) so far of every process on the machine, by "name#pid". */
export function processesCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const { name, fields } = stat(`/proc/${pid}/stat`);
      out.set(`${name}#${pid}`, Number(fields[11]) + Number(fields[12]));
    } catch {
      // A process that ended meanwhile.
    }
  }
  return out;
}

// Self time of a CPU profile (--cpu-prof) split by the request it was spent on: the
// client notes each request's window on the monotonic clock, which is the clock V8's
// profile timestamps are read from (libuv's hrtime, CLOCK_MONOTONIC on Linux, one clock
// for every process). Requests must not overlap (bench/steps.ts runs logins one at a
// time), so a sample belongs to the window it falls in; samples outside every window
// (the start-up, the pauses between logins) are left out, and idle samples too.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface RequestWindow { key: string; startUs: number; endUs: number }

/** Now on the monotonic clock, in microseconds, as the profile's timestamps read it. */
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number }

const frameName = ({ functionName, url, lineNumber }: ProfileNode['callFrame']) =>
  `${functionName || '(anonymous)'} ${url.replace(/^file:\/\/.*?\/(node_modules|src|bench)\//, '$1/')}:${lineNumber + 1}`;

/** Self time in microseconds by request key, then by function. */
export function selfTimeByRequest(profileDir: string, windows: RequestWindow[]): Map<string, Map<string, number>> {
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile in ${profileDir}`);
  const profile = JSON.parse(readFileSync(path.join(profileDir, file), 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const sorted = [...windows].sort((a, b) => a.startUs - b.startUs);
  const result = new Map<string, Map<string, number>>();
  let at = profile.startTime;
  let w = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    while (w < sorted.length && (sorted[w] as RequestWindow).endUs < at) w++;
    const window = sorted[w];
    const node = nodes.get(id);
    if (!window || at < window.startUs || !node || node.callFrame.functionName === '(idle)') return;
    const byFunction = result.get(window.key) ?? new Map<string, number>();
    const name = frameName(node.callFrame);
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
    result.set(window.key, byFunction);
  });
  return result;
}

/** The `top` functions of each request, as microseconds per request. */
export function formatByRequest(byRequest: Map<string, Map<string, number>>, counts: Map<string, number>, top = 12): string {
  const lines: string[] = [];
  for (const [key, byFunction] of byRequest) {
    const n = counts.get(key) ?? 1;
    const total = [...byFunction.values()].reduce((a, b) => a + b, 0);
    lines.push(`\n${key}: ${Math.round(total / n)} us sampled per request (under the profiler)`);
    for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${String(Math.round(us / n)).padStart(7)} us  ${name}`);
  }
  return lines.join('\n');
}

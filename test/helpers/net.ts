// A loopback port nobody listens on right now, for servers whose URL must be known
// before they start (Gatehouse's public URL, a module's redirect URI, a peer's port).
//
// Why not port 0's answer: the kernel hands that out from its ephemeral range, the same
// range every outgoing connection's local port comes from. Between our check and the
// child process's listen, any connection made meanwhile (a pool to PostgreSQL, an SMTP
// delivery, a browser) could be given the very port, and the child fails with
// EADDRINUSE; under a full run with many suites at once that happened. So the port is
// chosen below the ephemeral range, where the kernel never hands out ports on its own.
// The range also stays above every port browsers refuse to open (the highest is 10080).
//
// Below that range only another test's choice can take the port, and a full run makes
// thousands of choices across its test processes: two of them once picked the same port
// within the half second between one's check and its listen (EADDRINUSE in CI). So each
// choice is also claimed, across processes, by a file created exclusively under the
// machine's temporary folder and kept for the life of the process that claimed it: no
// other test process is given a port while its claim stands, however long it waits
// before listening, or closes and listens again (a restart test).
import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

const LOWEST = 10_081;
const CLAIMS = path.join(os.tmpdir(), 'gatehouse-test-ports');
/** A claim whose process is gone is taken over only once this old (a killed run's leftovers). */
const ABANDONED_AFTER_MS = 10 * 60_000;
const claimed = new Set<string>();

/** The first port of the kernel's ephemeral range (Linux's default when unreadable). */
function ephemeralRangeStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > LOWEST + 1_000) return low;
  } catch {
    // Not Linux, or no /proc: the default below.
  }
  return 32_768;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes a claim left by a test process that died without its exit handler (killed). */
function clearAbandonedClaim(file: string): void {
  try {
    const owner = Number(readFileSync(file, 'utf8'));
    if (Number.isInteger(owner) && owner > 0 && processIsAlive(owner)) return;
    if (Date.now() - statSync(file).mtimeMs < ABANDONED_AFTER_MS) return;
    unlinkSync(file);
  } catch {
    // Gone meanwhile, or unreadable: leave it; another port will do.
  }
}

/** True when this process now holds the port's claim; false when another process does. */
export function claimPort(port: number): boolean {
  const file = path.join(CLAIMS, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    clearAbandonedClaim(file);
    return false;
  }
  if (claimed.size === 0) process.once('exit', releaseClaims);
  claimed.add(file);
  return true;
}

function releaseClaims(): void {
  for (const file of claimed) {
    try {
      unlinkSync(file);
    } catch {
      // Already gone.
    }
  }
  claimed.clear();
}

function listensFreely(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  mkdirSync(CLAIMS, { recursive: true, mode: 0o1777 });
  const end = ephemeralRangeStart();
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = LOWEST + Math.floor(Math.random() * (end - LOWEST));
    if (!claimPort(port)) continue;
    if (await listensFreely(port)) return port;
  }
  throw new Error(`no free loopback port found between ${LOWEST} and ${end - 1} in 200 tries`);
}

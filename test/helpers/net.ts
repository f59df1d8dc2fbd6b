// A loopback port nobody listens on right now, for servers whose URL must be known
// before they start (Gatehouse's public URL, a module's redirect URI, a peer's port).
//
// Why not port 0's answer: the kernel hands that out from its ephemeral range, the same
// range every outgoing connection's local port comes from. Between our check and the
// child process's listen, any connection made meanwhile (a pool to PostgreSQL, an SMTP
// delivery, a browser) could be given the very port, and the child fails with
// EADDRINUSE; under a full run with many suites at once that happened. So the port is
// chosen below the ephemeral range, where the kernel never hands out ports on its own:
// only another test's choice could take it, and the choice is random over thousands.
// The range also stays above every port browsers refuse to open (the highest is 10080).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 10_081;

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

function listensFreely(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  const end = ephemeralRangeStart();
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = LOWEST + Math.floor(Math.random() * (end - LOWEST));
    if (await listensFreely(port)) return port;
  }
  throw new Error(`no free loopback port found between ${LOWEST} and ${end - 1} in 200 tries`);
}

// The test servers' ports: a child process listens on the port freePort chose some time
// later, so the choice must be one no outgoing connection, and no other test process of
// the same run, can be given meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { claimPort, freePort } from './net.ts';

const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

test('a chosen port is outside the ephemeral range, above the ports browsers refuse, and free to listen on', async () => {
  const ports = new Set<number>();
  for (let i = 0; i < 40; i += 1) ports.add(await freePort());
  for (const port of ports) {
    assert.ok(port > 10_080 && port < ephemeralStart, `port ${port} is outside 10081..${ephemeralStart - 1}`);
  }
  assert.ok(ports.size > 30, 'the choices are spread, not one port again and again');
  const [port] = ports;
  assert.ok(port !== undefined);
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  try {
    // The outgoing side of a connection takes an ephemeral port: never the one chosen.
    const local = await new Promise<number>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        resolve(socket.localPort as number);
        socket.destroy();
      });
      socket.once('error', reject);
    });
    assert.ok(local >= ephemeralStart, `the connection's own port ${local} is in the ephemeral range`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

// Another test process, in the same run, asking while this one holds the port.
function inAnotherProcess(script: string): Promise<string> {
  const net = new URL('./net.ts', import.meta.url).href;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', `import { claimPort, freePort } from ${JSON.stringify(net)};\n${script}`]);
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => (code === 0 ? resolve(output.trim()) : reject(new Error(output))));
  });
}

test('a port one test process was given is not given to another until that process ends', async () => {
  const held = await freePort();
  assert.equal(await inAnotherProcess(`console.log(claimPort(${held}))`), 'false', 'another process cannot claim a port held here');
  // Held even once nothing listens on it (a restart test between its close and its listen).
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(held, '127.0.0.1', resolve));
  await new Promise((resolve) => server.close(resolve));
  assert.equal(await inAnotherProcess(`console.log(claimPort(${held}))`), 'false');

  const theirs = Number(await inAnotherProcess('console.log(await freePort())'));
  assert.ok(Number.isInteger(theirs) && theirs !== held);
  assert.equal(claimPort(theirs), true, 'a process that ended gave its ports back');
});

test("a killed run's claim is taken over once it is old, not while its process lives or it is recent", async () => {
  const dir = path.join(os.tmpdir(), 'gatehouse-test-ports');
  const dead = Number(await inAnotherProcess('console.log(process.pid)'));
  const [oldPort, recentPort, livePort] = [await freePort(), await freePort(), await freePort()];
  // Free the three, then leave claims as other processes would have.
  for (const port of [oldPort, recentPort, livePort]) rmSync(path.join(dir, String(port)));
  const longAgo = new Date(Date.now() - 60 * 60_000);
  writeFileSync(path.join(dir, String(oldPort)), String(dead));
  utimesSync(path.join(dir, String(oldPort)), longAgo, longAgo);
  writeFileSync(path.join(dir, String(recentPort)), String(dead));
  writeFileSync(path.join(dir, String(livePort)), String(process.ppid));
  utimesSync(path.join(dir, String(livePort)), longAgo, longAgo);

  assert.equal(claimPort(oldPort), false, 'the first ask finds the claim');
  assert.equal(claimPort(oldPort), true, 'and, its process gone for long, clears it for the next');
  for (const port of [recentPort, livePort]) {
    assert.equal(claimPort(port), false);
    assert.equal(claimPort(port), false, `port ${port}'s claim stands`);
    rmSync(path.join(dir, String(port)));
  }
});

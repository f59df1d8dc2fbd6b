// The test servers' ports: a child process listens on the port freePort chose some time
// later, so the choice must be one no outgoing connection can be given meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { freePort } from './net.ts';

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

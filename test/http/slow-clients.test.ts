// A client that sends its request a byte at a time (slowloris) cannot hold a connection for
// as long as it likes: past GATEHOUSE_REQUEST_TIMEOUT_SECONDS the node answers 408 and closes
// it, over plain HTTP and over TLS, whether the headers or the body are trickled, on any
// route (the API's and the provider's). The limit is set to 1 s here; the trickle stops by
// itself after a bounded number of bytes, long past the limit.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createTestCertificate, type TestCertificate } from '../helpers/tls.ts';

const LIMIT_SECONDS = 1;
/** One byte every 100 ms for at most 12 s: twelve times the limit, past Node's checks. */
const TRICKLE_MS = 100;
const MAX_TRICKLES = 120;

interface Held {
  /** What the server said before closing, if anything. */
  answer: string;
  closed: boolean;
  bytesSent: number;
}

/** Opens a connection, sends `head`, then trickles `rest` until the server closes or the trickle ends. */
function trickle(server: TestServer, head: string, rest: string): Promise<Held> {
  const url = new URL(server.baseUrl);
  const port = Number(url.port);
  const socket: net.Socket =
    url.protocol === 'https:' ? tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }) : net.connect({ host: '127.0.0.1', port });
  return new Promise((resolve) => {
    const held: Held = { answer: '', closed: false, bytesSent: 0 };
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearInterval(timer);
      socket.destroy();
      resolve(held);
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (held.answer += chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      held.closed = true;
      finish();
    });
    socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      socket.write(head);
      // Nothing to trickle: the request is whole, and `Connection: close` ends it.
      if (rest.length === 0) return;
      let sent = 0;
      timer = setInterval(() => {
        if (sent >= Math.min(MAX_TRICKLES, rest.length)) return finish();
        socket.write(rest[sent]!);
        sent += 1;
        held.bytesSent = sent;
      }, TRICKLE_MS);
    });
  });
}

const body = JSON.stringify({ username: 'x'.repeat(300), companyName: 'Slow Co' });
const slowBody = (path: string, contentType: string) =>
  [`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`, body] as const;
const slowHeaders = [
  'GET /healthz HTTP/1.1\r\n',
  Array.from({ length: 200 }, (_, i) => `X-Slow-${i}: y\r\n`).join(''),
] as const;

function assertCutOff(held: Held, what: string) {
  assert.ok(held.closed, `${what}: the connection is still open after ${held.bytesSent} bytes a tenth of a second apart`);
  assert.ok(held.bytesSent < MAX_TRICKLES, `${what}: the server waited for the whole trickle`);
  assert.match(held.answer, /^HTTP\/1\.1 408 /, `${what}: the client is told its request took too long (${JSON.stringify(held.answer.slice(0, 40))})`);
}

for (const scheme of ['http', 'https'] as const) describe(`Slow clients over ${scheme}`, () => {
  let server: TestServer;
  let certificate: TestCertificate | undefined;
  before(async () => {
    certificate = scheme === 'https' ? createTestCertificate() : undefined;
    server = await startTestServer({ env: { ...certificate?.env, GATEHOUSE_REQUEST_TIMEOUT_SECONDS: String(LIMIT_SECONDS) } });
  });
  after(async () => {
    await server?.close();
    certificate?.remove();
  });

  test('a body trickled to the API is cut off with 408', async () => {
    assertCutOff(await trickle(server, ...slowBody('/api/login/identify', 'application/json')), 'the identify step');
  });

  test("a body trickled to the provider's token endpoint is cut off with 408", async () => {
    assertCutOff(await trickle(server, ...slowBody('/oidc/token', 'application/x-www-form-urlencoded')), 'the token endpoint');
  });

  test('headers trickled one line at a time are cut off with 408', async () => {
    assertCutOff(await trickle(server, ...slowHeaders), 'the headers');
  });

  test('a client that sends in time is answered as ever', async () => {
    const held = await trickle(server, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', '');
    assert.match(held.answer, /^HTTP\/1\.1 200 /, 'an ordinary request is answered');
  });
});

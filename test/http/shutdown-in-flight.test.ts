// SIGTERM while a request is in flight: the request is answered, and the node then exits.
// The answer arrived, but the node kept running for about 72 s (Fastify's keep-alive
// timeout) because the connection that carried the in-flight request stayed open after its
// answer; a service manager (Kubernetes' 30 s grace, systemd's 90 s) waited that long on
// every restart of a node with traffic, or killed it. Connections are now closed as they
// fall idle while closing (src/http/drain-on-close.ts). Found by an audit of operations.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.ts';
import { until } from '../helpers/until.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

test('SIGTERM during a request: the request is answered and the node exits promptly', async () => {
  const node: NodeProcess = await startNodeProcess([MAIN], { env: { GATEHOUSE_WORKERS: '1' } });
  after(() => node.cleanUp());
  const agent = new http.Agent({ keepAlive: true });
  after(() => agent.destroy());
  const url = new URL('/api/signup', node.baseUrl);
  const body = JSON.stringify({ token: 'x'.repeat(43), password: 'Velvet-Harbor-42!', confirm: 'Velvet-Harbor-42!' });
  // A request whose headers have arrived and whose body is still coming: in flight when the signal comes.
  const answer = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), origin: node.baseUrl },
    }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, connection: response.headers.connection }));
    });
    request.on('error', reject);
    request.write(body.slice(0, 10));
    setTimeout(() => {
      process.kill(node.pid, 'SIGTERM');
      void until(() => node.output().includes('SIGTERM: shutting down'), 'the node to begin its shutdown').then(() => request.end(body.slice(10)));
    }, 500);
  });
  const answered = await answer;
  assert.ok(answered.status > 0 && answered.status !== 503, `the in-flight request was answered: ${answered.status}`);
  const signalled = Date.now();
  // Bounded far above a clean shutdown (tens of ms), far below Fastify's 72 s keep-alive timeout.
  await until(() => node.exited() !== undefined, 'the node to exit after SIGTERM', 15_000).catch(() => {});
  assert.deepEqual(
    node.exited(),
    { code: 0, signal: null },
    `still running ${Date.now() - signalled} ms after its last request was answered (answer's Connection: ${answered.connection})`,
  );
});

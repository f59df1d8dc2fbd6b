// What a person at a terminal reads: by default no line per request (the start-up banner
// with the first operator's link stays in view); GATEHOUSE_LOG_REQUESTS=true turns them on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { startTestServer } from '../helpers/server.ts';

async function linesFor(env: Record<string, string>) {
  const lines: string[] = [];
  const server = await startTestServer({ env, logStream: { write: (line: string) => void lines.push(line) } });
  try {
    for (const path of ['/login', '/api/me', '/healthz', '/no-such-page']) await fetch(`${server.baseUrl}${path}`);
    await server.agent().post('/api/login/identify', { username: 'nobody', companyName: 'Nowhere' });
  } finally {
    await server.close();
  }
  return lines.map((line) => JSON.parse(line) as { msg?: string; req?: unknown; res?: unknown });
}

test('by default requests leave no log lines; with GATEHOUSE_LOG_REQUESTS=true each one does', async () => {
  const quiet = await linesFor({});
  assert.deepEqual(quiet.filter((line) => line.req || line.res), [], 'no request lines by default');

  const logged = await linesFor({ GATEHOUSE_LOG_REQUESTS: 'true' });
  const requests = logged.filter((line) => line.msg === 'incoming request');
  const answers = logged.filter((line) => line.msg === 'request completed');
  assert.equal(requests.length, 5);
  assert.equal(answers.length, 5);
});

test('log format: readable at a terminal, JSON elsewhere, or as configured', () => {
  assert.equal(loadConfig({ GATEHOUSE_LOG_FORMAT: 'json' }).logFormat, 'json');
  assert.equal(loadConfig({ GATEHOUSE_LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
  assert.equal(loadConfig({}).logFormat, process.stdout.isTTY ? 'pretty' : 'json');
  assert.throws(() => loadConfig({ GATEHOUSE_LOG_FORMAT: 'xml' }), /GATEHOUSE_LOG_FORMAT/);
  assert.throws(() => loadConfig({ GATEHOUSE_LOG_REQUESTS: 'yes' }), /GATEHOUSE_LOG_REQUESTS/);
});

// With JSON logs (a service: journald, a log collector) the start-up output carries no live
// Sign Up link, as docs/OPERATIONS.md promises of the logs; it says how to print one, and
// that command's link works. At a terminal the banner prints the link (test/http/workers.test.ts).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Agent } from '../helpers/agent.ts';
import { cleanEnv, runCli } from '../helpers/cli.ts';
import { tokenFromLink } from '../helpers/journey.ts';
import { MAIN } from '../helpers/node-exit.ts';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.ts';
import { TEST_SECRET_KEY } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

let node: NodeProcess;
after(() => node?.cleanUp());

test('JSON logs: no Sign Up link in the output, and the command it names prints one that works', async () => {
  node = await startNodeProcess([MAIN], { env: { GATEHOUSE_LOG_FORMAT: 'json', GATEHOUSE_LOG_LEVEL: 'info', GATEHOUSE_LOG_REQUESTS: 'true', GATEHOUSE_WORKERS: '1' }, ready: 'readyz' });
  await until(() => node.output().includes('Gatehouse is running at'), 'the banner', 30_000);
  assert.match(node.output(), /No operator has signed up yet[\s\S]*npx gatehouse operator setup-link/, node.output());
  assert.doesNotMatch(node.output(), /\/signup\/[A-Za-z0-9_-]{20,}/, node.output());

  const printed = await runCli(['operator', 'setup-link'], { ...cleanEnv(), GATEHOUSE_DATA_DIR: node.dataDir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, GATEHOUSE_LOG_LEVEL: 'warn' });
  assert.equal(printed.code, 0, printed.stderr);
  const link = new RegExp(`${node.baseUrl}/signup/[A-Za-z0-9_-]{43}`).exec(printed.stdout)?.[0];
  assert.ok(link, printed.stdout);
  const shown = await new Agent(node.baseUrl).get(`/api/signup/${tokenFromLink(link)}`);
  assert.equal(shown.status, 200, JSON.stringify(shown.body));
  assert.equal((shown.body as { username: string }).username, 'admin');
  // The request's own log line keeps the token out too (docs/SECURITY.md, "Logs").
  await until(() => node.output().includes('/api/signup/'), 'the request log line', 30_000);
  assert.doesNotMatch(node.output(), /\/signup\/[A-Za-z0-9_-]{20,}/, node.output());
});

// A CSV download whose client stops reading is cut off once it has taken nothing for
// GATEHOUSE_DOWNLOAD_STALL_SECONDS (3 s here), so its slot comes back without the client's
// help: a person holding both their downloads open without reading can download again,
// and stalled clients cannot close downloads to everyone for as long as they like. A
// client that reads gets the whole file.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { PADDED_EVENTS, padAuditTrail } from '../helpers/audit-padding.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyWithRootMaster, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

interface Stalled {
  status: number;
  cancel(): void;
}

/** Starts a download and never reads past its headers. */
function stalled(server: TestServer, path: string, headers: Record<string, string>): Promise<Stalled> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = http.get(new URL(path, server.baseUrl), { headers, agent: false }, (response) => {
      answered = true;
      // Paused, the client reads nothing more, not even the server's close behind the data.
      response.pause();
      response.on('error', () => {});
      resolve({ status: response.statusCode ?? 0, cancel: () => request.destroy() });
    });
    request.on('error', (error) => (answered ? undefined : reject(error)));
  });
}

for (const engine of await enginesUnderTest()) describe(`a stalled CSV download is cut off (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let acme: Person;
  const path = '/api/company/audit.csv';
  const cookie = () => ({ cookie: acme.agent.cookieHeader(path) });

  before(async () => {
    server = await startTestServer({ engine, realClock: true, env: { GATEHOUSE_DOWNLOAD_STALL_SECONDS: '3' } });
    operator = (await signedInOperator(server)).agent;
    acme = await companyWithRootMaster(server, operator, 'Acme Stalled Export');
    await padAuditTrail(server, acme.companyId);
  });
  after(() => server?.close());

  test('two downloads left unread are closed by the server, and their person downloads again', async () => {
    const first = await stalled(server, path, cookie());
    const second = await stalled(server, path, cookie());
    assert.deepEqual([first.status, second.status], [200, 200]);
    try {
      const third = await stalled(server, path, cookie());
      assert.equal(third.status, 429, 'both slots are held while the downloads stall');
      third.cancel();
      // The stalled clients never let go: only the server cutting them off frees the slots.
      let whole: { status: number; text: string } | undefined;
      await until(async () => {
        const response = await fetch(new URL(path, server.baseUrl), { headers: cookie() });
        whole = { status: response.status, text: await response.text() };
        return whole.status !== 429;
      }, 'a download once the stalled ones were cut off');
      assert.equal(whole?.status, 200);
      // Read at once, the whole file arrives: every event, the header line too.
      assert.equal(whole?.text.match(/test\.padding/g)?.length, PADDED_EVENTS);
    } finally {
      first.cancel();
      second.cancel();
    }
  });
});

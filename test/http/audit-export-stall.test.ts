// A CSV download whose client stops reading is cut off once it has taken nothing for
// GATEHOUSE_DOWNLOAD_STALL_SECONDS (3 s here), so its slot comes back without the client's
// help: a person holding both their downloads open without reading can download again,
// and stalled clients cannot close downloads to everyone for as long as they like. A
// client that reads gets the whole file.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
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

/** A company with a long audit trail (a download too big to sit in the sockets' buffers), and the path of its CSV. */
async function companyWithLongTrail(server: TestServer): Promise<{ headers: () => Record<string, string> }> {
  const operator = (await signedInOperator(server)).agent;
  const acme: Person = await companyWithRootMaster(server, operator, 'Acme Stalled Export');
  await padAuditTrail(server, acme.companyId);
  return { headers: () => ({ cookie: acme.agent.cookieHeader(PATH) }) };
}

const PATH = '/api/company/audit.csv';

for (const engine of await enginesUnderTest()) describe(`a stalled CSV download is cut off (${engine})`, () => {
  // Two nodes: one that cuts a stalled download off after 3 s, and one that would wait
  // far longer than any test, where the slots' hold is checked. On the first, a machine
  // slow enough could let 3 s pass before a third request arrives, and find a slot
  // rightly given back: the hold and the cut-off are each checked where the other
  // cannot happen.
  let cutting: TestServer;
  let patient: TestServer;
  let cuttingTrail: { headers: () => Record<string, string> };
  let patientTrail: { headers: () => Record<string, string> };

  before(async () => {
    cutting = await startTestServer({ engine, realClock: true, env: { GATEHOUSE_DOWNLOAD_STALL_SECONDS: '3' } });
    patient = await startTestServer({ engine, realClock: true, env: { GATEHOUSE_DOWNLOAD_STALL_SECONDS: '3600' } });
    [cuttingTrail, patientTrail] = await Promise.all([companyWithLongTrail(cutting), companyWithLongTrail(patient)]);
  });
  after(async () => {
    await cutting?.close();
    await patient?.close();
  });

  test("a person's two downloads left unread hold both their slots: a third is refused", async () => {
    const first = await stalled(patient, PATH, patientTrail.headers());
    const second = await stalled(patient, PATH, patientTrail.headers());
    try {
      assert.deepEqual([first.status, second.status], [200, 200]);
      const third = await stalled(patient, PATH, patientTrail.headers());
      third.cancel();
      assert.equal(third.status, 429, 'both slots are held while the downloads stall');
    } finally {
      first.cancel();
      second.cancel();
    }
  });

  test('two downloads left unread are closed by the server, and their person downloads again', async () => {
    const first = await stalled(cutting, PATH, cuttingTrail.headers());
    const second = await stalled(cutting, PATH, cuttingTrail.headers());
    assert.deepEqual([first.status, second.status], [200, 200]);
    try {
      // The stalled clients never let go: only the server cutting them off frees the slots.
      let whole: { status: number; text: string } | undefined;
      await until(async () => {
        const response = await fetch(new URL(PATH, cutting.baseUrl), { headers: cuttingTrail.headers() });
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

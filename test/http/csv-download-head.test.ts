// A HEAD of a CSV download answers the download's headers and reads no more of the trail
// than that answer needs. Fastify answers HEAD for every GET route by running the GET's
// handler, and given a stream it read it to its end after the answer was sent: the whole
// trail, a batch of 1,000 at a time, with the download's slot given back when the answer
// closed. HEAD after HEAD, anyone who may download the trail could keep the node reading
// it in full without any cap (src/http/audit-views.ts, sendCsv).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { padAuditTrail } from '../helpers/audit-padding.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyWithRootMaster, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { statementsOf, watchStatements } from '../helpers/statements.ts';

const PATH = '/api/company/audit.csv';
const BATCHES = 5;
/** A read of the trail for a download or a page (audit/query.ts), as the database gets it. */
const TRAIL_READ = /from\s+"?audit_events"?\s+as\s+"?e"?/i;

for (const engine of await enginesUnderTest()) describe(`HEAD of a CSV download (${engine})`, () => {
  let server: TestServer;
  let acme: Person;
  let operatorAgent: Awaited<ReturnType<typeof signedInOperator>>['agent'];

  before(async () => {
    server = await startTestServer({ engine, realClock: true, quietWorkers: true });
    operatorAgent = (await signedInOperator(server)).agent;
    acme = await companyWithRootMaster(server, operatorAgent, 'Acme Head Export');
    await padAuditTrail(server, acme.companyId, { events: BATCHES * 1000, small: true });
  });
  after(() => server?.close());

  /** The trail's reads made while `work` runs. */
  async function trailReadsOf(work: () => Promise<void>) {
    const stop = watchStatements(engine);
    try {
      return (await statementsOf(work)).filter((sql) => TRAIL_READ.test(sql)).length;
    } finally {
      stop();
    }
  }

  test('a HEAD answers the headers with no body; the trail is read for it at most once, a full download after it reads the whole trail once', async () => {
    const reads = await trailReadsOf(async () => {
      for (const path of [PATH, '/api/operator/audit.csv']) {
        const agent = path === PATH ? acme.agent : operatorAgent;
        const head = await fetch(new URL(path, server.baseUrl), { method: 'HEAD', headers: { cookie: agent.cookieHeader(path) } });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get('content-type'), 'text/csv; charset=utf-8');
        assert.match(head.headers.get('content-disposition') ?? '', /^attachment; filename=".*\.csv"$/);
        assert.equal((await head.arrayBuffer()).byteLength, 0);
      }
      // A whole download, read after the HEADs: any export they left running reads alongside it.
      const full = await fetch(new URL(PATH, server.baseUrl), { headers: { cookie: acme.agent.cookieHeader(PATH) } });
      assert.equal(full.status, 200);
      const lines = (await full.text()).trim().split('\n');
      assert.ok(lines.length > BATCHES * 1000, `${lines.length} lines`);
    });
    // The download: its batches and the empty read that ends them. Each HEAD: its first batch at most.
    assert.ok(reads <= BATCHES + 1 + 2, `${reads} reads of the trail`);
  });
});

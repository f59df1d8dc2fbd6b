// The operator's long lists, as an operator (and an MSP's platform client, and the CLI)
// reads them: a flood of account requests and more companies than the console ever showed
// at once (it stopped at the newest 500 requests and 1,000 companies). Every row is reached
// exactly once by following nextCursor, in the documented order, ties of time broken by id;
// `total` counts what the filter matches; the search finds what no first page shows, and
// takes `%` and `_` literally; a cursor that was tampered with, or a page too big, is a 400.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { caseKey, nameKey } from '../../src/shared/text.ts';
import type { Agent, Answer } from '../helpers/agent.ts';
import { apiClient, callApi, tokenFor } from '../helpers/api-clients.ts';
import { cliOf } from '../helpers/cli.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { ACME_REQUEST, approvedCompany, signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const FLOOD = 520;
const BULK_COMPANIES = 1005;

interface Row {
  id: string;
  created_at: number;
}
/** The documented orders: time, then id, both ascending (pending) or both descending. */
const oldestFirst = (a: Row, b: Row) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const newestFirst = (a: Row, b: Row) => -oldestFirst(a, b);

for (const engine of await enginesUnderTest()) describe(`the operator's long lists, page by page (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let genuineId: string;
  let platformToken: string;

  /** Every page of `path` (which has its query), following nextCursor; each page is checked on the way. */
  async function walk(path: string, items: 'requests' | 'companies', limit: number, read = (p: string) => operator.get(p)) {
    const seen: Array<{ id: string; companyName?: string; name?: string }> = [];
    const totals = new Set<number>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Answer = await read(`${path}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.ok(page.body[items].length <= limit, 'no page is longer than asked');
      assert.ok(page.body.nextCursor === null || typeof page.body.nextCursor === 'string', 'the answer says where the next page starts');
      seen.push(...page.body[items]);
      if (page.body.total !== undefined) totals.add(page.body.total);
      cursor = page.body.nextCursor;
      if (cursor !== null) assert.equal(page.body[items].length, limit, 'only the last page is short');
      pages += 1;
      assert.ok(pages < 2_000, 'the cursor ends');
    } while (cursor !== null);
    return { ids: seen.map((row) => row.id), rows: seen, totals: [...totals], pages };
  }

  async function storedRequests(where: { status?: 'pending' | 'rejected'; named?: string } = {}) {
    let query = server.gatehouse.deps.db.selectFrom('account_requests').select(['id', 'created_at', 'company_name']);
    if (where.status) query = query.where('status', '=', where.status);
    const rows = await query.execute();
    return where.named ? rows.filter((row) => row.company_name.toLowerCase().includes(where.named as string)) : rows;
  }

  async function storedCompanies(named?: string) {
    const rows = await server.gatehouse.deps.db.selectFrom('companies').select(['id', 'created_at', 'name']).where('is_platform', '=', 0).execute();
    return named ? rows.filter((row) => row.name.toLowerCase().includes(named)) : rows;
  }

  before(async () => {
    server = await startTestServer({ engine });
    operator = (await signedInOperator(server)).agent;
    const { db } = server.gatehouse.deps;
    const start = server.clock() - 10 * 86_400_000;
    // The flood, in one statement: seven requests to each second, so pages end inside a
    // run of equal times and only the id can say where the next one starts.
    await db
      .insertInto('account_requests')
      .values(
        Array.from({ length: FLOOD }, (_, i) => {
          const name = `Flood Request ${String(i).padStart(4, '0')}`;
          return {
            id: randomUUID(),
            company_name: name,
            name_key: nameKey(name),
            case_key: caseKey(name),
            contact_name: 'Pat Flood',
            email: `pat${i}@flood.test`,
            phone: '+1 555 0100',
            note: null,
            source: 'public' as const,
            status: 'pending' as const,
            reject_reason: null,
            company_id: null,
            decided_by: null,
            decided_at: null,
            created_at: start + Math.floor(i / 7) * 1000,
          };
        }),
      )
      .execute();
    // The genuine ones come through the public form after the flood: pending requests are
    // read oldest first, so they sit past the 500 the console used to show.
    const submit = (companyName: string, email: string) =>
      server.agent().post('/api/account-requests', { ...ACME_REQUEST, companyName, email, note: undefined });
    const genuine = await submit('Genuine Harbor Logistics', 'ops@harbor-logistics.test');
    assert.equal(genuine.status, 201, JSON.stringify(genuine.body));
    genuineId = genuine.body.id;
    // Names whose wildcards would match the decoys beside them, were they wildcards.
    for (const [name, email] of [
      ['100% Uptime MSP', 'noc@uptime.test'],
      ['1000 Nodes Hosting', 'noc@nodes.test'],
      ['Net_Works Ltd', 'admin@networks.test'],
      ['NetXWorks Ltd', 'admin@netxworks.test'],
    ] as const) {
      assert.equal((await submit(name, email)).status, 201);
    }

    // More tenant companies than the old cap, in one statement, several to each second.
    await db
      .insertInto('companies')
      .values(
        Array.from({ length: BULK_COMPANIES }, (_, i) => {
          const name = `Bulk Tenant ${String(i).padStart(4, '0')}`;
          return {
            id: randomUUID(),
            name,
            name_key: nameKey(name),
            case_key: caseKey(name),
            status: 'active' as const,
            is_platform: 0,
            created_at: start + Math.floor(i / 4) * 1000,
          };
        }),
      )
      .execute();
    // And a few approved the ordinary way, with their Root Masters: the newest.
    for (const companyName of ['Zephyr Alpha IT', 'Zephyr 50% Cloud', 'Zephyr 5000 Cloud', 'Zephyr Data_Care', 'Zephyr DataXCare']) {
      await approvedCompany(server, operator, { ...ACME_REQUEST, companyName, email: `root@${companyName.toLowerCase().replace(/[^a-z0-9]/g, '')}.test` });
    }
    const { client, clientSecret } = await apiClient(server, { name: 'MSP platform', scopes: ['companies:read', 'requests:read'], companyId: null });
    platformToken = await tokenFor(server, client.clientId, clientSecret);
  });
  after(() => server.close());

  test('pending requests: every one once, oldest first (ties by id), past the old cap of 500', async () => {
    const expected = (await storedRequests({ status: 'pending' })).sort(oldestFirst).map((row) => row.id);
    assert.ok(expected.length > 500);
    const { ids, totals, pages } = await walk('/api/operator/requests?status=pending', 'requests', 500);
    assert.equal(pages, 2);
    assert.deepEqual(ids, expected);
    assert.deepEqual(totals, [expected.length], 'every page counts the whole list');
    assert.ok(ids.includes(genuineId), 'the genuine request is reached');

    const first = await operator.get('/api/operator/requests');
    assert.equal(first.status, 200);
    assert.equal(first.body.requests.length, 100, 'a page of 100 when no limit is asked');
    assert.equal(first.body.total, expected.length);
    assert.equal(typeof first.body.nextCursor, 'string');
  });

  test('the history, newest first, small pages', async () => {
    const { db } = server.gatehouse.deps;
    // Three of the flood rejected, at one moment: newest first, by id.
    const rejected = (await storedRequests({ status: 'pending', named: 'flood request 000' })).slice(0, 3);
    await db.updateTable('account_requests').set({ status: 'rejected', reject_reason: 'Flood', decided_by: 'cli', decided_at: server.clock() })
      .where('id', 'in', rejected.map((row) => row.id)).execute();
    const { ids, totals } = await walk('/api/operator/requests?status=rejected', 'requests', 2);
    assert.deepEqual(ids, rejected.sort(newestFirst).map((row) => row.id));
    assert.deepEqual(totals, [3]);

    const everything = await walk('/api/operator/requests?status=all', 'requests', 500);
    assert.deepEqual(everything.ids, (await storedRequests()).sort(newestFirst).map((row) => row.id));
  });

  test('the search finds a request no first page shows, by name or email, case ignored', async () => {
    const first = await operator.get('/api/operator/requests?limit=100');
    assert.ok(!first.body.requests.some((r: { id: string }) => r.id === genuineId), 'the flood hides it from the first page');
    for (const q of ['harbor logistics', 'GENUINE', 'ops@harbor-LOGISTICS']) {
      const found = await operator.get(`/api/operator/requests?q=${encodeURIComponent(q)}`);
      assert.equal(found.status, 200, JSON.stringify(found.body));
      assert.deepEqual(found.body.requests.map((r: { id: string }) => r.id), [genuineId], q);
      assert.equal(found.body.total, 1);
      assert.equal(found.body.nextCursor, null);
    }
    // A search is paged like the list: every match once, and only matches.
    const flood = await walk('/api/operator/requests?status=all&q=flood%20request%2000', 'requests', 7);
    const matching = (await storedRequests({ named: 'flood request 00' })).sort(newestFirst).map((row) => row.id);
    assert.equal(matching.length, 100);
    assert.deepEqual(flood.ids, matching);
    assert.deepEqual(flood.totals, [100]);
    const none = await operator.get('/api/operator/requests?q=no%20such%20company');
    assert.deepEqual([none.body.requests, none.body.total, none.body.nextCursor], [[], 0, null]);
    // A blank search is no search.
    assert.equal((await operator.get('/api/operator/requests?q=%20%20')).body.total, (await operator.get('/api/operator/requests')).body.total);
  });

  test('% and _ in the search are plain characters, and a backslash is one too', async () => {
    const names = async (q: string) => {
      const answer = await operator.get(`/api/operator/requests?q=${encodeURIComponent(q)}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.requests.map((r: { companyName: string }) => r.companyName);
    };
    assert.deepEqual(await names('100%'), ['100% Uptime MSP']);
    assert.deepEqual(await names('%'), ['100% Uptime MSP']);
    assert.deepEqual(await names('net_works'), ['Net_Works Ltd']);
    assert.deepEqual(await names('_'), ['Net_Works Ltd']);
    assert.deepEqual(await names('\\'), []);
    assert.deepEqual(await names('\\%'), []);
  });

  test('a tampered cursor, or a page too big, is a 400 naming the field', async () => {
    const first = await operator.get('/api/operator/requests?limit=1');
    const cursor = first.body.nextCursor as string;
    const text = Buffer.from(cursor, 'base64url').toString();
    const tampered = [
      Buffer.from(text.replace(/:[0-9a-f-]{36}$/, ":' or 1=1 --"), 'utf8').toString('base64url'),
      Buffer.from(text.replace(/^r:/, 'c:'), 'utf8').toString('base64url'),
      Buffer.from(text.replace(/:\d+:/, ':-1:'), 'utf8').toString('base64url'),
      'bm90LWEtY3Vyc29y',
      `${cursor}!`,
    ];
    for (const bad of tampered) {
      const answer = await operator.get(`/api/operator/requests?cursor=${encodeURIComponent(bad)}`);
      assert.equal(answer.status, 400, bad);
      assert.equal(answer.body.error.code, 'request.invalid');
      assert.ok(answer.body.error.fields.cursor, bad);
    }
    for (const limit of ['501', '0', '-1', '2.5', 'ten']) {
      const answer = await operator.get(`/api/operator/requests?limit=${limit}`);
      assert.equal(answer.status, 400, limit);
      assert.ok(answer.body.error.fields.limit, limit);
    }
    const long = await operator.get(`/api/operator/requests?q=${'x'.repeat(101)}`);
    assert.equal(long.status, 400);
    assert.ok(long.body.error.fields.q);
    assert.equal((await operator.get('/api/operator/requests?limit=500')).body.requests.length, 500);
  });

  test('companies: every one once, newest first (ties by id), past the old cap of 1,000', async () => {
    const expected = (await storedCompanies()).sort(newestFirst).map((row) => row.id);
    assert.ok(expected.length > 1000);
    const { ids, totals, pages } = await walk('/api/operator/companies?', 'companies', 500);
    assert.equal(pages, 3);
    assert.deepEqual(ids, expected);
    assert.deepEqual(totals, [expected.length]);

    const first = await operator.get('/api/operator/companies');
    assert.equal(first.body.companies.length, 100, 'a page of 100 when no limit is asked');
    assert.equal(first.body.total, expected.length);
  });

  test('companies: the search finds one past the first pages, with its Root Master, and pages too', async () => {
    // The bulk companies are the oldest: the first of them is on the last page.
    const oldest = await operator.get('/api/operator/companies?q=bulk%20tenant%200000');
    assert.equal(oldest.status, 200, JSON.stringify(oldest.body));
    assert.deepEqual(oldest.body.companies.map((c: { name: string }) => c.name), ['Bulk Tenant 0000']);
    assert.equal(oldest.body.total, 1);
    const zephyr = await operator.get('/api/operator/companies?q=ZEPHYR%20ALPHA');
    assert.equal(zephyr.body.companies[0].rootMaster.email, 'root@zephyralphait.test');

    const { ids, totals } = await walk('/api/operator/companies?q=zephyr', 'companies', 2);
    assert.deepEqual(ids, (await storedCompanies('zephyr')).sort(newestFirst).map((row) => row.id));
    assert.deepEqual(totals, [5]);
  });

  test('companies: % and _ are plain characters; tampered cursors and big pages are 400s', async () => {
    const names = async (q: string) =>
      (await operator.get(`/api/operator/companies?q=${encodeURIComponent(q)}`)).body.companies.map((c: { name: string }) => c.name);
    assert.deepEqual(await names('50%'), ['Zephyr 50% Cloud']);
    assert.deepEqual(await names('data_care'), ['Zephyr Data_Care']);
    assert.deepEqual(await names('%_'), []);

    const first = await operator.get('/api/operator/companies?limit=1');
    const text = Buffer.from(first.body.nextCursor as string, 'base64url').toString();
    assert.match(text, /^c:/);
    for (const bad of [text.replace(/^c:/, 'r:'), text.replace(/-[0-9a-f]{12}$/, '-zzzzzzzzzzzz'), `${text}\u0000`]) {
      const answer = await operator.get(`/api/operator/companies?cursor=${Buffer.from(bad).toString('base64url')}`);
      assert.equal(answer.status, 400, bad);
      assert.ok(answer.body.error.fields.cursor);
    }
    const big = await operator.get('/api/operator/companies?limit=501');
    assert.equal(big.status, 400);
    assert.ok(big.body.error.fields.limit);
  });

  test('/api/v1/companies pages as /api/v1/requests does, with the same rules', async () => {
    const read = (path: string) => callApi(server, path, platformToken) as Promise<Answer>;
    const { ids } = await walk('/api/v1/companies?', 'companies', 500, read);
    assert.deepEqual(ids, (await storedCompanies()).sort(newestFirst).map((row) => row.id));
    const first = await read('/api/v1/companies');
    assert.equal(first.body.companies.length, 100);
    assert.equal(typeof first.body.nextCursor, 'string');
    assert.equal((await read('/api/v1/companies?limit=501')).status, 400);
    const requestCursor = (await read('/api/v1/requests?limit=1')).body.nextCursor as string;
    const crossed = await read(`/api/v1/companies?cursor=${requestCursor}`);
    assert.equal(crossed.status, 400, "a request list's cursor is no place in the companies");
    assert.ok(crossed.body.fields?.cursor);
  });

  test('the CLI lists every request by default, or a page at a time with --limit and --cursor', async () => {
    const gatehouse = cliOf(server);
    const everything = await gatehouse(['requests', 'list', '--json']);
    assert.equal(everything.code, 0, everything.stderr);
    const all = JSON.parse(everything.stdout);
    const expected = (await storedRequests({ status: 'pending' })).sort(oldestFirst).map((row) => row.id);
    assert.deepEqual(all.requests.map((r: { id: string }) => r.id), expected, 'all of them, past 500, in the console order');
    assert.equal(all.total, expected.length);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const run = await gatehouse(['requests', 'list', '--search', 'NET', '--limit', '1', '--json', ...(cursor ? ['--cursor', cursor] : [])]);
      assert.equal(run.code, 0, run.stderr);
      const page = JSON.parse(run.stdout);
      assert.equal(page.total, 2);
      seen.push(...page.requests.map((r: { companyName: string }) => r.companyName));
      cursor = page.nextCursor;
    } while (cursor);
    // Submitted at one moment on the test clock: the id orders them.
    const net = (await storedRequests({ status: 'pending', named: 'net' })).sort(oldestFirst).map((row) => row.company_name);
    assert.deepEqual(net.slice().sort(), ['NetXWorks Ltd', 'Net_Works Ltd']);
    assert.deepEqual(seen, net, 'oldest first, each once');

    const text = await gatehouse(['requests', 'list', '--search', 'harbor', '--limit', '1']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Genuine Harbor Logistics/);
    assert.match(text.stdout, /1 shown of 1 request\./);
    const paged = await gatehouse(['requests', 'list', '--limit', '1']);
    assert.match(paged.stdout, new RegExp(`1 shown of ${expected.length} requests\\.`));
    assert.match(paged.stdout, /Next page: the same command with --cursor [A-Za-z0-9_-]+/);
    const bad = await gatehouse(['requests', 'list', '--cursor', 'bm90LWEtY3Vyc29y']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--cursor: not a cursor from a previous page/);
  });
});

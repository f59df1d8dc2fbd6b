// CSV downloads in flight are capped, so a client that opens downloads and stops reading
// them cannot pin the node's memory: two per person or API client, eight per company (so
// one tenant cannot close downloads to the others), sixteen per node; past any of them the
// next is refused at once with 429 and Retry-After. A slot is given back when
// its download ends, is cancelled (a client that stopped reading and then disconnects), or
// fails, so more downloads in a row than the cap all work.
//
// A stalled download is a real one: a node:http request whose response stream is paused,
// on a trail large enough (about 25 MB of CSV) that the socket buffers cannot take it all,
// so the server cannot finish sending it while the client does not read.
import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders } from 'node:http';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { padAuditTrail } from '../helpers/audit-padding.ts';
import { apiClient, tokenFor } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyUser, companyWithRootMaster, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

const PER_ACTOR = 2;
const PER_COMPANY = 8;
const PER_NODE = 16;

interface Opened {
  status: number;
  headers: IncomingHttpHeaders;
  /** The parsed error body when refused; nothing is read from a download that started. */
  body: any;
  /** Cancels the download: the client goes away without reading the rest. */
  cancel(): void;
}

/** Every download started and not yet cancelled, so that a failed test leaves no connection open. */
const running = new Set<() => void>();
function cancelRunning() {
  for (const cancel of running) cancel();
}

/** Starts a GET and stops reading as soon as the headers arrive (a 200), or reads an error answer whole. */
function open(server: TestServer, path: string, headers: Record<string, string>): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const request = http.get(new URL(path, server.baseUrl), { headers, agent: false }, (response) => {
      const cancel = () => {
        running.delete(cancel);
        request.destroy();
      };
      const status = response.statusCode ?? 0;
      if (status === 200) {
        response.pause();
        running.add(cancel);
        resolve({ status, headers: response.headers, body: undefined, cancel });
        return;
      }
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status, headers: response.headers, body: text ? JSON.parse(text) : undefined, cancel }));
    });
    request.on('error', (error) => {
      // A cancelled download's socket errors after it was resolved: nothing to report.
      if (!request.destroyed) reject(error);
    });
  });
}

/** A whole download, read to the end. */
async function downloadWhole(server: TestServer, path: string, headers: Record<string, string>) {
  const response = await fetch(new URL(path, server.baseUrl), { headers });
  return { status: response.status, text: await response.text() };
}

const cookieOf = (agent: Agent, path: string) => ({ cookie: agent.cookieHeader(path) });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function assertRefused(answer: Opened, code: string, shape: 'console' | 'problem') {
  assert.equal(answer.status, 429, `refused, not ${answer.status}`);
  assert.match(String(answer.headers['retry-after']), /^\d+$/, 'Retry-After says when to try again');
  assert.equal(answer.headers['cache-control'], 'no-store');
  if (shape === 'console') {
    assert.equal(answer.body.error.code, code);
    assert.equal(typeof answer.body.error.message, 'string');
  } else {
    assert.match(String(answer.headers['content-type']), /^application\/problem\+json/);
    assert.equal(answer.body.type, `urn:gatehouse:error:${code}`);
    assert.equal(answer.body.code, code);
    assert.equal(answer.body.status, 429);
  }
}

for (const engine of await enginesUnderTest()) describe(`CSV downloads in flight (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let acme: Person;
  let morgan: Person;
  const held: Opened[] = [];
  const hold = (answer: Opened) => {
    held.push(answer);
    return answer;
  };
  /**
   * A download that must start once the server has seen earlier ones end (a cancelled
   * download's slot comes back when its connection's close reaches the server): asked
   * again while refused with `refusal`, never accepted with any other answer.
   */
  async function startWhenFree(path: string, headers: Record<string, string>, refusal: string, what: string): Promise<Opened> {
    const shape = path.startsWith('/api/v1/') ? 'problem' : 'console';
    let started: Opened | undefined;
    await until(async () => {
      const answer = await open(server, path, headers);
      if (answer.status === 200) started = answer;
      else assertRefused(answer, refusal, shape);
      return started !== undefined;
    }, what);
    return started!;
  }

  before(async () => {
    server = await startTestServer({ engine, realClock: true });
    operator = (await signedInOperator(server)).agent;
    acme = await companyWithRootMaster(server, operator, 'Acme Export Co');
    morgan = await companyUser(server, acme, 'morgan', 'master');
    await padAuditTrail(server, acme.companyId);
  });
  afterEach(() => {
    held.length = 0;
    cancelRunning();
  });
  after(() => server?.close());

  test('a person may have two downloads running; the third is refused with 429 until one is cancelled', async () => {
    const path = '/api/company/audit.csv';
    const asAcme = cookieOf(acme.agent, path);
    for (let i = 0; i < PER_ACTOR; i += 1) assert.equal(hold(await open(server, path, asAcme)).status, 200, `download ${i + 1} starts`);

    assertRefused(await open(server, path, asAcme), 'download.too_many_running', 'console');
    // The slots are the person's for every CSV download, and the operator's routes alike.
    assertRefused(await open(server, '/api/company/compliance.csv', asAcme), 'download.too_many_running', 'console');
    // Another person is not held back by them.
    assert.equal(hold(await open(server, path, cookieOf(morgan.agent, path))).status, 200, 'another Master downloads');

    // A client that stopped reading goes away: its slot is free again once the server sees it.
    held.shift()?.cancel();
    hold(await startWhenFree(path, asAcme, 'download.too_many_running', 'a new download once one was cancelled'));
    assertRefused(await open(server, path, asAcme), 'download.too_many_running', 'console');
  });

  test('an API client may have two downloads running; the third is refused with a 429 problem until one is cancelled', async () => {
    const { client, clientSecret } = await apiClient(server, { name: 'Export sync', scopes: ['audit:read'], companyId: acme.companyId });
    const asClient = bearer(await tokenFor(server, client.clientId, clientSecret));
    const path = `/api/v1/companies/${acme.companyId}/audit.csv`;
    for (let i = 0; i < PER_ACTOR; i += 1) assert.equal(hold(await open(server, path, asClient)).status, 200, `download ${i + 1} starts`);
    assertRefused(await open(server, path, asClient), 'download.too_many_running', 'problem');

    held.shift()?.cancel();
    hold(await startWhenFree(path, asClient, 'download.too_many_running', 'a new download once one was cancelled'));
  });

  test('slots are given back: downloads that finish or fail, more in a row than the cap, leave room for more', async () => {
    const path = '/api/operator/audit.csv';
    const asOperator = cookieOf(operator, path);
    for (let i = 0; i < PER_ACTOR * 3; i += 1) {
      // A small file, read to the end.
      const whole = await downloadWhole(server, `${path}?action=company.approved`, asOperator);
      assert.equal(whole.status, 200, `download ${i + 1} in a row`);
      assert.match(whole.text, /company\.approved/);
      // A download that fails after its slot was taken: an unknown company.
      const failed = await downloadWhole(server, `/api/operator/compliance.csv?companyId=${randomUUID()}`, cookieOf(operator, '/api/operator/compliance.csv'));
      assert.equal(failed.status, 404, `failed download ${i + 1}`);
    }
    // Nothing leaked: the full two can still run at once, and the cap still holds.
    for (let i = 0; i < PER_ACTOR; i += 1) assert.equal(hold(await open(server, path, asOperator)).status, 200, `download ${i + 1} starts`);
    assertRefused(await open(server, path, asOperator), 'download.too_many_running', 'console');
  });

  /** `count` API clients of `companyId` (null: the platform's) that may read the trail, by their bearer headers. */
  async function exportClients(count: number, companyId: string | null, prefix: string) {
    const tokens: Record<string, string>[] = [];
    for (let i = 0; i < count; i += 1) {
      const { client, clientSecret } = await apiClient(server, { name: `${prefix} ${i}`, scopes: ['audit:read'], companyId });
      tokens.push(bearer(await tokenFor(server, client.clientId, clientSecret)));
    }
    return tokens;
  }
  /** Every one of `tokens` holds its two stalled downloads of Acme's trail. */
  async function holdAll(tokens: Record<string, string>[], what: string) {
    const path = `/api/v1/companies/${acme.companyId}/audit.csv`;
    for (const [n, token] of tokens.entries()) {
      for (let i = 0; i < PER_ACTOR; i += 1) hold(await startWhenFree(path, token, 'download.server_busy', `${what} client ${n + 1}, download ${i + 1}`));
    }
  }

  test('the node runs at most sixteen downloads in all, whoever asks', async () => {
    // Half from Acme's own clients, half from the platform's (each a company's share).
    await holdAll(await exportClients(PER_COMPANY / PER_ACTOR, acme.companyId, 'Acme export'), 'Acme');
    await holdAll(await exportClients((PER_NODE - PER_COMPANY) / PER_ACTOR, null, 'Platform export'), 'platform');
    // A client of a third company with no download running is refused too, as busy rather than as its own cap.
    const beta = await companyWithRootMaster(server, operator, `Beta Export ${randomUUID().slice(0, 8)}`);
    const [last] = await exportClients(1, beta.companyId, 'Beta export');
    const betaPath = `/api/v1/companies/${beta.companyId}/audit.csv`;
    assertRefused(await open(server, betaPath, last!), 'download.server_busy', 'problem');

    held.shift()?.cancel();
    hold(await startWhenFree(betaPath, last!, 'download.server_busy', 'a new download once one was cancelled'));
  });

  test("one company's Masters and clients hold at most eight downloads: the ninth waits, another company's goes through", async () => {
    const acmeClients = await exportClients(PER_COMPANY / PER_ACTOR + 1, acme.companyId, 'Acme share');
    const extra = acmeClients.pop()!;
    await holdAll(acmeClients, 'Acme');
    const path = `/api/v1/companies/${acme.companyId}/audit.csv`;
    // Acme's fifth client, and a Master of Acme, with nothing running of their own: the company's share is taken.
    assertRefused(await open(server, path, extra), 'download.server_busy', 'problem');
    assertRefused(await open(server, '/api/company/audit.csv', cookieOf(morgan.agent, '/api/company/audit.csv')), 'download.server_busy', 'console');
    // The node has room, and another company (here the platform's client, reading Acme's trail) takes it.
    const [platform] = await exportClients(1, null, 'Platform share');
    assert.equal(hold(await open(server, path, platform!)).status, 200, "the platform's client downloads");

    held.shift()?.cancel();
    hold(await startWhenFree(path, extra, 'download.server_busy', "Acme's next once one of its own was cancelled"));
  });
});

// The audit trail's CSV is read and sent in batches of a thousand events (audit/csv.ts
// auditCsv), for as long as the download takes: up to 50,000 events, a download a slow
// client can stretch out. Who may read it was decided once, as the request came in. A
// Master deactivated meanwhile (or an API client deleted, its company suspended: the same
// generator serves /api/v1) goes on being sent the company's trail, batch after batch,
// read after their access ended. Now every batch after the first is sent only while the
// requester still may read it (sendCsv, whileAccessStands); once not, the download is cut
// off. The second batch's read is held here until the access has ended (only its timing
// is the test's), so the order is known. Over HTTP, on both engines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, tokenFor } from '../helpers/api-clients.ts';
import { padAuditTrail } from '../helpers/audit-padding.ts';
import { companyWithRootMaster, invitedMember, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

const EVENTS = 2_500;
const PATH = '/api/company/audit.csv';

/**
 * Holds the next read of the audit trail made by the CSV's generator after its first
 * batch (the one read before the answer starts), until released.
 */
function holdSecondCsvBatch(server: TestServer) {
  const db = server.gatehouse.deps.db as unknown as { selectFrom: (...args: unknown[]) => unknown };
  const original = db.selectFrom;
  let reached!: () => void;
  let release!: () => void;
  const atHold = new Promise<void>((resolve) => (reached = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  let seen = 0;
  // The builder's execute held; every method that builds on it answers a held builder too.
  const held = (builder: object): object =>
    new Proxy(builder, {
      get(target, property) {
        const value = Reflect.get(target, property);
        if (typeof value !== 'function') return value;
        if (property === 'execute') {
          return async (...args: unknown[]) => {
            reached();
            await gate;
            return value.apply(target, args);
          };
        }
        return (...args: unknown[]) => {
          const next = value.apply(target, args);
          return next && typeof next === 'object' && typeof (next as { execute?: unknown }).execute === 'function' ? held(next) : next;
        };
      },
    });
  db.selectFrom = function (this: unknown, ...args: unknown[]) {
    const builder = original.apply(this, args) as object;
    if (!new Error().stack?.includes('/src/audit/csv.ts')) return builder;
    seen += 1;
    return seen === 2 ? held(builder) : builder;
  };
  return { atHold, release, restore: () => (db.selectFrom = original) };
}

for (const engine of await enginesUnderTest()) describe(`an audit CSV download after the downloader's access ended (${engine})`, () => {
  let server: TestServer;
  let acme: SignedInCompany;

  before(async () => {
    server = await startTestServer({ engine });
    acme = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Late Export', 'root@late-export.test');
    await padAuditTrail(server, acme.companyId, { events: EVENTS, small: true });
  });
  after(() => server.close());

  /**
   * Downloads `path` with `headers`, running `endAccess` while the second batch is held;
   * what arrived, and whether the download was cut off rather than finished.
   */
  async function downloadWhile(path: string, headers: Record<string, string>, endAccess: () => Promise<void>) {
    const hold = holdSecondCsvBatch(server);
    let body = '';
    let cut = false;
    try {
      const response = await fetch(new URL(path, server.baseUrl), { headers });
      assert.equal(response.status, 200);
      await hold.atHold;
      await endAccess();
      hold.release();
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          body += decoder.decode(value, { stream: true });
        }
      } catch {
        cut = true;
      }
    } finally {
      hold.release();
      hold.restore();
    }
    const padded = body.split('\r\n').filter((line) => line.includes('"test.padding"')).length;
    return { padded, cut };
  }

  test('a Master deactivated mid-download is sent no batch read after the deactivation, and the download fails', async () => {
    const mia = await invitedMember(server, acme, acme.root.agent, { username: 'mia', role: 'master' });
    const { padded, cut } = await downloadWhile(PATH, { cookie: mia.agent.cookieHeader(PATH) }, async () => {
      // The Root Master deactivates Mia while her download is under way.
      const deactivated = await withFreshProof(server, acme.root.agent, () => acme.root.agent.post(`/api/company/users/${mia.id}/deactivate`));
      assert.equal(deactivated.status, 200, JSON.stringify(deactivated.body));
      assert.equal((await mia.agent.get('/api/me')).status, 401, 'her session ended');
    });
    assert.ok(padded <= 1000, `after her deactivation the download went on: ${padded} of ${EVENTS} padded events sent, ${padded - 1000} read after it`);
    assert.equal(cut, true, 'the download ends as a failure, never as a complete file');
  });

  test('an API client deleted mid-download is sent no batch read after the deletion, and the download fails', async () => {
    const made = await apiClient(server, { scopes: ['audit:read'], companyId: acme.companyId });
    const token = await tokenFor(server, made.client.clientId, made.clientSecret);
    const path = `/api/v1/companies/${acme.companyId}/audit.csv`;
    const { padded, cut } = await downloadWhile(path, { authorization: `Bearer ${token}` }, async () => {
      const deleted = await withFreshProof(server, acme.root.agent, () => acme.root.agent.post(`/api/company/api-clients/${made.client.clientId}/delete`));
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    });
    assert.ok(padded <= 1000, `after the client's deletion the download went on: ${padded} of ${EVENTS} padded events sent`);
    assert.equal(cut, true, 'the download ends as a failure, never as a complete file');
  });

  test('a download whose requester keeps access is sent whole', async () => {
    const { padded, cut } = await downloadWhile(PATH, { cookie: acme.root.agent.cookieHeader(PATH) }, async () => {});
    assert.equal(cut, false);
    assert.equal(padded, EVENTS);
  });
});

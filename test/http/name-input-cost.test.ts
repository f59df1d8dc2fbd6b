// A name's rules cost per character: each is tidied (NFKC), every letter is tested against
// dozens of scripts, and its keys spell it twice. A name's bound is on its saved form, which
// NFKC may make 18 times longer ("ﷺ"); when the rules read a name before its length was
// checked, one bulk-invite file of 256 KiB of "ﷺ" as a username kept the node busy for five
// seconds, every tenant's logins waiting behind it. So a name too long as typed is refused
// before anything reads it (src/contract/fields.ts), and a bulk file's rows are compared by
// the usernames the rule accepted (src/users/bulk-invite.ts).
//
// Work is counted, not timed: every string Unicode-normalized while a request is handled
// (tidyName, the keys' NFD and NFKC) adds its length, and a hostile request must stay under
// a bound a few ordinary ones reach, far under what the hostile text would cost to read.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, tokenFor, sendApi } from '../helpers/api-clients.ts';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { charactersNormalized } from '../helpers/normalized-characters.ts';

/** "ﷺ" is one character typed, 18 saved: the costliest text per byte a request can carry. */
const LIGATURE = '\uFDFA';
/** Characters normalized while a bulk invitation is handled: its 256 KiB file read about four times over. */
const BOUND = 4 * 256 * 1024;

/** A CSV file near the 256 KiB limit: one row whose `column` is all ligatures. */
function fileWithLongCell(column: 'username' | 'displayname'): string {
  const cell = LIGATURE.repeat(Math.floor((256 * 1024 - 100) / 3));
  return column === 'username' ? `email,username,role\nlong@cost.test,${cell},user\n` : `email,username,role,displayname\nlong@cost.test,longname,user,${cell}\n`;
}

/** As many rows as fit, each with the longest username and display name the typed bounds let through. */
function fileOfManyRows(): string {
  const row = (i: number) => `r${i}@cost.test,${LIGATURE.repeat(4 * 64)},user,${LIGATURE.repeat(4 * 100)}`;
  const rows: string[] = [];
  while (rows.length < 500 && Buffer.byteLength(rows.join('\n')) + 3 * 1024 < 256 * 1024) rows.push(row(rows.length));
  return `email,username,role,displayname\n${rows.join('\n')}\n`;
}

describe('long names cost a bounded amount of work', () => {
  let server: TestServer;
  let company: SignedInCompany;
  let token: string;
  before(async () => {
    server = await startTestServer();
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Costly Names', 'root@cost.test');
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:write'], companyId: company.companyId });
    token = await tokenFor(server, client.clientId, clientSecret);
  });
  after(() => server?.close());

  const refusedRows = (answer: { status: number; body: any }) => {
    assert.equal(answer.status, 200, JSON.stringify(answer.body).slice(0, 300));
    assert.equal(answer.body.invited, 0);
    return answer.body.rows as { status: string; reason: string }[];
  };

  for (const column of ['username', 'displayname'] as const) {
    test(`a bulk file whose ${column} is 256 KiB of "ﷺ" is refused without reading it whole`, async () => {
      const { answer, read } = await charactersNormalized(() => company.root.agent.post('/api/company/users/bulk-invite', { csv: fileWithLongCell(column) }));
      const [row] = refusedRows(answer);
      assert.equal(row?.status, 'refused');
      assert.match(row?.reason ?? '', column === 'username' ? /2-64 letters/ : /at most 100 characters/);
      assert.ok(read < BOUND, `${read} characters normalized for one row`);
    });
  }

  test('a bulk file of many rows, each as long as the typed bound allows, is read within the bound', async () => {
    const { answer, read } = await charactersNormalized(() => company.root.agent.post('/api/company/users/bulk-invite', { csv: fileOfManyRows() }));
    const rows = refusedRows(answer);
    assert.ok(rows.length > 100, `${rows.length} rows`);
    assert.ok(rows.every((row) => /2-64 letters/.test(row.reason)), 'each row is refused for its username');
    assert.ok(read < BOUND, `${read} characters normalized for ${rows.length} rows`);
  });

  test('the API clients\' bulk invite is held to the same bound', async () => {
    const { answer, read } = await charactersNormalized(() =>
      sendApi(server, 'POST', `/api/v1/companies/${company.companyId}/users/bulk-invite`, token, { csv: fileWithLongCell('username') }),
    );
    assert.equal(refusedRows(answer)[0]?.status, 'refused');
    assert.ok(read < BOUND, `${read} characters normalized`);
  });

  const long = LIGATURE.repeat(20_000);
  for (const [what, path, body, field] of [
    ['an invitation\'s username', '/api/company/users', { email: 'one@cost.test', username: long, role: 'user' }, 'username'],
    ['an invitation\'s display name', '/api/company/users', { email: 'one@cost.test', username: 'one', role: 'user', displayName: long }, 'displayName'],
    ['a group name', '/api/company/groups', { name: long }, 'name'],
    ['my display name', '/api/me/profile', { displayName: long }, 'displayName'],
  ] as const) {
    test(`${what} of 20,000 "ﷺ" is a 400 without reading it whole`, async () => {
      const { answer, read } = await charactersNormalized(() => company.root.agent.post(path, body));
      assert.equal(answer.status, 400, JSON.stringify(answer.body).slice(0, 300));
      assert.ok(answer.body.error.fields[field], JSON.stringify(answer.body.error));
      assert.ok(read < 10_000, `${read} characters normalized`);
    });
  }

  test('an account request (anyone may send one) with 10,000 "ﷺ" in each name is a 400 without reading them whole', async () => {
    const half = LIGATURE.repeat(10_000);
    const { answer, read } = await charactersNormalized(() =>
      server.agent().post('/api/account-requests', { companyName: half, contactName: half, email: 'asker@cost.test', phone: '+1 555 0100' }),
    );
    assert.equal(answer.status, 400);
    assert.deepEqual(Object.keys(answer.body.error.fields).sort(), ['companyName', 'contactName']);
    assert.ok(read < 10_000, `${read} characters normalized`);
  });

  test('the node still answers, and an ordinary invitation still works', async () => {
    assert.equal((await fetch(new URL('/healthz', server.baseUrl))).status, 200);
    const answer = await company.root.agent.post('/api/company/users/bulk-invite', { csv: 'email,username,role\nfine@cost.test,fine,user\nagain@cost.test,FINE,user\n' });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual((answer.body.rows as { status: string }[]).map((r) => r.status), ['invited', 'refused']);
    assert.match(answer.body.rows[1].reason, /also on row 2/);
  });
});

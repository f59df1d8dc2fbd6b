// A page of users may end on any username the database holds, including one saved before
// today's rules (a mixed-script or invisible-character name, or a long one a provider
// asserted): the next page's cursor carries it back and must be read. What a cursor must
// not carry is what the database cannot take (a NUL, bytes that are not UTF-8).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, callApi, company, tokenFor } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createUser } from '../../src/users/store.ts';
import { caseKey, nameKey } from '../../src/shared/text.ts';

/** Usernames today's rules refuse, as an older release could have saved them. */
const SAVED_BEFORE_THE_RULES = [
  'bоb', // a Cyrillic "о" among Latin letters
  'car\u200bl', // a zero-width space
  `d${'x'.repeat(140)}`, // longer than a new username may be
  'é'.repeat(300), // 600 bytes of UTF-8
  'ed smith', // a space
];

for (const engine of await enginesUnderTest()) describe(`user list cursors after names saved under older rules (${engine})`, () => {
  let server: TestServer;
  let companyId: string;
  let reader: string;
  const users = () => `/api/v1/companies/${companyId}/users`;

  before(async () => {
    server = await startTestServer({ engine });
    companyId = (await company(server, 'Alpha Support', 'alma')).companyId;
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:read'], companyId });
    reader = await tokenFor(server, client.clientId, clientSecret);
    const { db, clock } = server.gatehouse.deps;
    for (const [i, legacy] of SAVED_BEFORE_THE_RULES.entries()) {
      // Made under today's rules, then given the name an older release saved.
      const user = await createUser(db, companyId, { username: `legacy${i}`, email: `legacy${i}@alpha.test`, displayName: 'Legacy', role: 'user' }, clock());
      await db
        .updateTable('users')
        .set({ username: legacy, username_key: nameKey(legacy), case_key: caseKey(legacy) })
        .where('company_id', '=', companyId)
        .where('id', '=', user.id)
        .execute();
    }
    for (const name of ['zoe', 'fay']) {
      await createUser(db, companyId, { username: name, email: `${name}@alpha.test`, displayName: name, role: 'user' }, clock());
    }
  });
  after(() => server.close());

  test('paging one user at a time passes every user, whatever name each page ends on', async () => {
    const all = await callApi(server, users(), reader);
    assert.equal(all.status, 200, JSON.stringify(all.body));
    const everyone = all.body.users.map((u: { username: string }) => u.username);
    for (const legacy of SAVED_BEFORE_THE_RULES) assert.ok(everyone.includes(legacy), `${legacy} listed`);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await callApi(server, `${users()}?limit=1${cursor ? `&cursor=${cursor}` : ''}`, reader);
      assert.equal(page.status, 200, `after ${JSON.stringify(seen.at(-1))}: ${JSON.stringify(page.body)}`);
      seen.push(...page.body.users.map((u: { username: string }) => u.username));
      cursor = page.body.nextCursor;
    } while (cursor && seen.length <= everyone.length);
    assert.deepEqual(seen, everyone);
  });

  test('a cursor carrying what no username can be is a field error, not a database error', async () => {
    const cursorOf = (bytes: Buffer) => bytes.toString('base64url');
    for (const bytes of [Buffer.from('u:bob\u0000', 'utf8'), Buffer.concat([Buffer.from('u:b', 'utf8'), Buffer.from([0xff, 0xfe])]), Buffer.from('u:', 'utf8'), Buffer.from('r:1:bob', 'utf8')]) {
      const answer = await callApi(server, `${users()}?cursor=${cursorOf(bytes)}`, reader);
      assert.equal(answer.status, 400, `${bytes.toString('hex')}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.code, 'request.invalid');
      assert.ok(answer.body.fields?.cursor);
    }
  });
});

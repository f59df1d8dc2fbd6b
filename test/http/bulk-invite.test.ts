// Bulk invite from CSV: a header row naming the columns, every row invited in its own
// transaction or refused with a reason, a per-row report, and limits on the file.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, inviteMail, invitedMember, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { tokenFromLink } from '../helpers/journey.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const COMPANY = 'Bulkhead Networks';

for (const engine of await enginesUnderTest()) describe(`bulk invite from CSV (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), COMPANY, 'root@bulkhead.test');
  });
  after(() => server.close());

  const bulk = (csv: unknown) => company.root.agent.post('/api/company/users/bulk-invite', { csv });
  const usernames = async () =>
    (await dbOf(server).selectFrom('users').select('username').where('company_id', '=', company.companyId).execute()).map((u) => u.username);

  test('each row is invited or refused with a reason, and the report says which', async () => {
    const csv = [
      'Username,E-mail,Role,"Display name",notes',
      'ann,ann@bulk.test,user,"Doe, Ann",first',
      'ben,ben@bulk.test,Master,Ben,',
      'ANN,ann2@bulk.test,user,Dup,same username as row 2',
      `${company.root.username},taken@bulk.test,user,Taken,`,
      'cat,not-an-email,user,Cat,',
      'dan,dan@bulk.test,root_master,Dan,',
      'eve,eve@bulk.test,user',
      '"fay ""q""",fay@bulk.test,user,Fay,',
      '',
      '"gus",gus@bulk.test,user,"Gus ""G"" Lee","a note, with a comma',
      'and a line break"',
    ].join('\r\n');
    const answer = await bulk(csv);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const byRow = Object.fromEntries((answer.body.rows as any[]).map((r) => [r.row, r]));
    assert.deepEqual(
      (answer.body.rows as any[]).map((r) => [r.row, r.username, r.status]),
      [
        [2, 'ann', 'invited'],
        [3, 'ben', 'invited'],
        [4, 'ANN', 'refused'],
        [5, company.root.username, 'refused'],
        [6, 'cat', 'refused'],
        [7, 'dan', 'refused'],
        [8, 'eve', 'refused'],
        [9, 'fay "q"', 'refused'],
        [11, 'gus', 'invited'],
      ],
    );
    assert.deepEqual([answer.body.invited, answer.body.refused], [3, 6]);
    assert.match(byRow[4].reason, /also on row 2/);
    assert.match(byRow[5].reason, /already used in this company/);
    assert.match(byRow[6].reason, /valid email/);
    assert.match(byRow[7].reason, /master or user/);
    assert.match(byRow[8].reason, /3 fields; the first row has 5/);
    assert.match(byRow[9].reason, /letters, digits/);
    assert.equal(byRow[2].reason, undefined);

    const users = await dbOf(server).selectFrom('users').selectAll().where('company_id', '=', company.companyId).execute();
    const ann = users.find((u) => u.username === 'ann');
    assert.deepEqual([ann?.display_name, ann?.role, ann?.status, ann?.email], ['Doe, Ann', 'user', 'invited', 'ann@bulk.test']);
    assert.equal(users.find((u) => u.username === 'ben')?.role, 'master');
    assert.equal(users.find((u) => u.username === 'gus')?.display_name, 'Gus "G" Lee');
    for (const refused of ['cat', 'dan', 'eve']) assert.ok(!users.some((u) => u.username === refused), `${refused} not created`);

    const { link } = await inviteMail(server, COMPANY, 'ann@bulk.test');
    assert.equal((await server.agent().get(`/api/signup/${tokenFromLink(link)}`)).body.username, 'ann');
    await inviteMail(server, COMPANY, 'ben@bulk.test');
    await inviteMail(server, COMPANY, 'gus@bulk.test');
    assert.ok(!server.mail.messages.some((m) => /ann2@|taken@|dan@|eve@/.test(m.to)), 'refused rows send no mail');

    const events = await dbOf(server).selectFrom('audit_events').select(['action', 'detail']).where('company_id', '=', company.companyId).execute();
    const summary = events.find((e) => e.action === 'user.bulk_invited');
    assert.deepEqual(JSON.parse(summary?.detail ?? '{}'), { actorUsername: company.root.username, rows: 9, invited: 3, refused: 6 });
    assert.equal(events.filter((e) => e.action === 'user.invited' && JSON.parse(e.detail ?? '{}').bulk === true).length, 3);
  });

  test('the header row is required and the file must be well formed', async () => {
    const before = await usernames();
    for (const [csv, pattern] of [
      ['hal,hal@bulk.test,user', /first row must name the columns/],
      ['email,username\nhal@bulk.test,hal', /first row must name the columns/],
      ['email,username,role,email\nhal@bulk.test,hal,user,x', /appears twice/],
      ['email,username,role\n', /no rows/],
      ['email,username,role\n"hal@bulk.test,hal,user', /not closed/],
      ['email,username,role\nhal@bulk.test,h"a"l,user', /quote/],
    ] as const) {
      const answer = await bulk(csv);
      assert.equal(answer.status, 400, csv);
      assert.match(answer.body.error.fields.csv, pattern, csv);
    }
    assert.equal((await bulk('')).status, 400);
    assert.equal((await bulk(42)).status, 400);
    assert.deepEqual(await usernames(), before);
  });

  test('at most 500 rows and 256 KiB; larger files are refused whole', async () => {
    const before = await usernames();
    const rows = Array.from({ length: 501 }, (_, i) => `u${i}@bulk.test,u${i},user`);
    const tooMany = await bulk(['email,username,role', ...rows].join('\n'));
    assert.deepEqual([tooMany.status, tooMany.body.error.fields.csv], [400, 'A file can have at most 500 rows; this one has 501.']);
    const tooBig = await bulk(`email,username,role,note\nbig@bulk.test,big,user,${'x'.repeat(300 * 1024)}`);
    assert.deepEqual([tooBig.status, tooBig.body.error.fields.csv], [400, 'The file can be at most 256 KiB.']);
    const huge = await bulk('x'.repeat(1100 * 1024));
    assert.deepEqual([huge.status, huge.body.error.code], [413, 'request.too_large']);
    assert.deepEqual(await usernames(), before);
  });

  test('an invited row reports the username as saved, which is the one its user logs in with', async () => {
    // Fullwidth letters and a decomposed accent are saved in their NFKC form.
    const answer = await bulk('email,username,role\nkim@bulk.test,\uFF4B\uFF49\uFF4D,user\njose@bulk.test,jose\u0301,user\n');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const reported = (answer.body.rows as Array<{ username: string; status: string }>).map((r) => [r.username, r.status]);
    assert.deepEqual(reported, [['kim', 'invited'], ['jos\u00E9', 'invited']]);
    const saved = await usernames();
    for (const [username] of reported) assert.ok(saved.includes(username as string), `${username} is the saved username`);
  });

  test('Users cannot bulk invite', async () => {
    const user = await invitedMember(server, company, company.root.agent, { username: 'ivy', role: 'user' });
    const answer = await user.agent.post('/api/company/users/bulk-invite', { csv: 'email,username,role\nj@bulk.test,jay,user' });
    assert.deepEqual([answer.status, answer.body.error.code], [403, 'auth.forbidden']);
    assert.ok(!(await usernames()).includes('jay'));
  });
});

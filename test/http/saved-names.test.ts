// Names are judged in the form they are saved (tidyName: NFKC, trimmed, spaces collapsed),
// by every way in. Judged as typed, a compatibility character the rule allows became,
// saved, what the rule refuses: "bob⑴" a username "bob(1)", "가" one letter, "ⁱ" or "ｉ"
// with a dot above the hidden "i̇" of a second "Billing", and 6 characters of "ﷺ" a name
// of 108. Each writer refuses them (invite, bulk invite, /api/v1, approval, the public
// form, groups, the profile), and every name left in the database passes its rule again,
// unchanged: the rule's output is what was saved.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { z } from 'zod';
import { groupNameBody } from '../../src/contract/groups.ts';
import { username as usernameRule, name as nameRule } from '../../src/contract/fields.ts';
import type { Agent } from '../helpers/agent.ts';
import { apiClient, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** Usernames the rule allows as typed, saved as ones it refuses: punctuation, a space, one letter, a mark twice. */
const USERNAMES_BROKEN_BY_SAVING = [
  'bob\u2474', // ⑴ -> (1)
  'bob\u{1F101}', // 🄁 -> 0,
  'x\u00BD', // ½ -> 1⁄2
  '\u1100\u1161', // two jamo -> 가, one letter
  'bob\uFE70', // an Arabic presentation form -> a space and a mark
  '\uFDFA\uFDFA', // two ligatures -> 36 characters with spaces
  'bob\uFF9E\uFF9E', // half-width voiced marks -> the same mark twice
];
/** Names whose saved form carries a mark that cannot be seen: a dot above a compatibility i or j, a mark twice. */
const NAMES_HIDING_A_MARK = ['B\u2071\u0307lling', 'B\uFF49\u0307lling', 'B\u1D62\u0307lling', 'Ad\u02B2\u0307ust', 'Caf\u00E9\u00A8\u0308', 'Ca\uFF9E\uFF9Efe'];
/** Six characters typed, 108 saved. */
const TOO_LONG_SAVED = '\uFDFA'.repeat(6);
const NAMES_REFUSED = [...NAMES_HIDING_A_MARK, TOO_LONG_SAVED];

const show = (value: unknown) => JSON.stringify(value);

/** Whether a saved value passes its rule again and comes out unchanged. */
function holdsAsSaved(rule: z.ZodType<string>, saved: string): string | undefined {
  const again = rule.safeParse(saved);
  if (!again.success) return `${show(saved)}: ${again.error.issues[0]?.message}`;
  return again.data === saved ? undefined : `${show(saved)} comes out as ${show(again.data)}`;
}

for (const engine of await enginesUnderTest()) describe(`names are judged as they are saved (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let acme: SignedInCompany;
  let token: string;
  let n = 0;
  const nextEmail = () => `member${(n += 1)}@saved-names.test`;
  before(async () => {
    server = await startTestServer({ engine });
    operator = await operatorAgent(server);
    acme = await companyWithRootMaster(server, operator, 'Acme Billing', 'root@acme-billing.test');
    const { client, clientSecret } = await apiClient(server, { scopes: ['users:write'], companyId: acme.companyId });
    token = await tokenFor(server, client.clientId, clientSecret);
  });
  after(() => server.close());

  const refused = (answer: { status: number; body: unknown }, what: string) => assert.equal(answer.status, 400, `${what}: ${answer.status} ${show(answer.body)}`);

  test('a username the rule refuses once saved is refused by the invite, the bulk invite, /api/v1 and approval, saying what it would be', async () => {
    for (const typed of USERNAMES_BROKEN_BY_SAVING) {
      const invited = await acme.root.agent.post('/api/company/users', { email: nextEmail(), username: typed, role: 'user' });
      refused(invited, `invite ${show(typed)}`);
      assert.ok(invited.body.error.fields.username, show(invited.body));
      refused(await sendApi(server, 'POST', `/api/v1/companies/${acme.companyId}/users`, token, { email: nextEmail(), username: typed, role: 'user' }), `/api/v1 ${show(typed)}`);
      const request = await server.agent().post('/api/account-requests', { ...ACME_REQUEST, companyName: `Umbrella ${(n += 1)}`, email: nextEmail() });
      assert.equal(request.status, 201, show(request.body));
      refused(await operator.post(`/api/operator/requests/${request.body.id}/approve`, { username: typed }), `approval as ${show(typed)}`);
    }
    const ruleMessage = (await acme.root.agent.post('/api/company/users', { email: nextEmail(), username: 'bob\u2474', role: 'user' })).body.error.fields.username;
    assert.match(ruleMessage, /saved, the username is "bob\(1\)"/);

    const csv = ['username,email,role', ...USERNAMES_BROKEN_BY_SAVING.map((typed) => `${typed},${nextEmail()},user`)].join('\n');
    const bulk = await acme.root.agent.post('/api/company/users/bulk-invite', { csv });
    assert.equal(bulk.status, 200, show(bulk.body));
    assert.deepEqual((bulk.body.rows as { status: string }[]).map((row) => row.status), USERNAMES_BROKEN_BY_SAVING.map(() => 'refused'), show(bulk.body.rows));
  });

  test('a compatibility form that saves as a valid username is taken, and saved as the rule passes it on', async () => {
    const invited = await acme.root.agent.post('/api/company/users', { email: nextEmail(), username: '\uFF4A\uFF41\uFF4E\uFF45', role: 'user', displayName: '\uFF2A\uFF41\uFF4E\uFF45\u3000\u3000Doe' });
    assert.equal(invited.status, 201, show(invited.body));
    const row = await dbOf(server).selectFrom('users').select(['username', 'display_name']).where('id', '=', invited.body.user.id).executeTakeFirstOrThrow();
    assert.deepEqual({ ...row }, { username: 'jane', display_name: 'Jane Doe' });
  });

  test('a name that hides a mark or outgrows its bound once saved is refused by every form that names something', async () => {
    const billing = await acme.root.agent.post('/api/company/groups', { name: 'Billing' });
    assert.equal(billing.status, 201, show(billing.body));
    for (const typed of NAMES_REFUSED) {
      refused(await server.agent().post('/api/account-requests', { ...ACME_REQUEST, companyName: `Acme ${typed}`, email: nextEmail() }), `company name ${show(typed)}`);
      refused(await server.agent().post('/api/account-requests', { ...ACME_REQUEST, companyName: `Initech ${(n += 1)}`, contactName: typed, email: nextEmail() }), `contact ${show(typed)}`);
      refused(await operator.post('/api/operator/requests', { ...ACME_REQUEST, companyName: `Acme ${typed}`, email: nextEmail() }), `operator's request ${show(typed)}`);
      refused(await acme.root.agent.post('/api/company/groups', { name: typed }), `group ${show(typed)}`);
      refused(await acme.root.agent.post(`/api/company/groups/${billing.body.group.id}/rename`, { name: typed }), `group renamed ${show(typed)}`);
      refused(await acme.root.agent.post('/api/me/profile', { displayName: typed }), `display name ${show(typed)}`);
      refused(await acme.root.agent.post('/api/company/users', { email: nextEmail(), username: `u${n}`, role: 'user', displayName: typed }), `invited display name ${show(typed)}`);
    }
    const groups = (await acme.root.agent.get('/api/company/groups')).body.groups as { name: string }[];
    assert.deepEqual(groups.map((group) => group.name), ['Billing']);
  });

  test('every name saved passes its rule again, unchanged', async () => {
    // What the tests above left, and a few names that change when saved but stay within the rules.
    assert.equal((await acme.root.agent.post('/api/company/groups', { name: '\uFDFA'.repeat(5) })).status, 201);
    assert.equal((await acme.root.agent.post('/api/company/groups', { name: '  \uFF30ayroll\u3000Team ' })).status, 201);
    assert.equal((await acme.root.agent.post('/api/me/profile', { displayName: '\u1100\u1161\u11A8 Kim' })).status, 200);
    assert.equal((await server.agent().post('/api/account-requests', { ...ACME_REQUEST, companyName: '\uFF21cme  North', email: nextEmail() })).status, 201);
    const db = dbOf(server);
    const displayName = nameRule('Display name', 100, 0);
    const problems = [
      ...(await db.selectFrom('users').select(['username', 'display_name']).execute()).flatMap((u) => [holdsAsSaved(usernameRule, u.username), holdsAsSaved(displayName, u.display_name)]),
      ...(await db.selectFrom('groups').select('name').execute()).map((g) => holdsAsSaved(groupNameBody.shape.name, g.name)),
      ...(await db.selectFrom('account_requests').select(['company_name', 'contact_name']).execute()).flatMap((r) => [
        holdsAsSaved(nameRule('Company Name', 100, 2), r.company_name),
        holdsAsSaved(nameRule('Contact Name', 100), r.contact_name),
      ]),
    ].filter((problem) => problem !== undefined);
    assert.deepEqual(problems, []);
    const saved = (await db.selectFrom('groups').select('name').where('company_id', '=', acme.companyId).execute()).map((g) => g.name);
    assert.ok(saved.includes('Payroll Team'), show(saved));
  });
});

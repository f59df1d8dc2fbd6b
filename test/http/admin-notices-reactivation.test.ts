// A Master the company deactivated and then reactivated is a Master again: the way in the
// deactivation closed reopens, as much a lasting foothold as a Master invited or made, so
// every active Master and the Root Master is told (queueCompanyNotice, docs/SECURITY.md
// "Notices of company changes"), from the console and from /api/v1 alike. A User
// reactivated is no notice, and a refused reactivation mails nobody.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, invitedMember, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { proveSession } from '../helpers/step-up.ts';

const SUBJECT = 'A Master of your Gatehouse company was reactivated';

for (const engine of await enginesUnderTest()) describe(`a Master reactivated tells every Master (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let alice: Person;
  let mallory: Person;
  let bob: Person;
  const emails = { root: 'root@reactivated.test', alice: 'alice@reactivated.test', mallory: 'mallory@reactivated.test', bob: 'bob@reactivated.test' };

  before(async () => {
    server = await startTestServer({ engine });
    const operator = await signedInOperator(server);
    company = await companyWithRootMaster(server, operator.agent, 'Reactivated Co', emails.root);
    alice = await invitedMember(server, company, company.root.agent, { username: 'alice', role: 'master', email: emails.alice });
    mallory = await invitedMember(server, company, company.root.agent, { username: 'mallory', role: 'master', email: emails.mallory });
    bob = await invitedMember(server, company, company.root.agent, { username: 'bob', role: 'user', email: emails.bob });
  });
  after(() => server.close());

  const queued = async (subject: string) =>
    (await server.gatehouse.deps.db.selectFrom('outbox').select('recipient').where('company_id', '=', company.companyId).where('subject', '=', subject).orderBy('recipient').execute()).map((r) => r.recipient);
  const mailsTo = (address: string) => server.mail.messages.filter((m) => m.to.includes(address) && m.subject === SUBJECT);

  async function deactivate(person: Person) {
    const answer = await company.root.agent.post(`/api/company/users/${person.id}/deactivate`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  }

  test('from the console: every active Master and the Root Master, naming who and whom', async () => {
    await deactivate(mallory);
    await proveSession(server, alice);
    const answer = await alice.agent.post(`/api/company/users/${mallory.id}/reactivate`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(await queued(SUBJECT), [emails.alice, emails.mallory, emails.root].sort());
    for (const address of [emails.root, emails.alice]) {
      await server.mail.waitFor(() => mailsTo(address).length === 1);
      const mail = mailsTo(address)[0]!;
      assert.match(mail.text, /mallory was reactivated as a Master/);
      assert.match(mail.text, /Done by the user alice/);
      assert.match(mail.text, /change your password and sign out everywhere/);
    }
    assert.deepEqual(mailsTo(emails.bob), [], 'a User is not told');
  });

  test('through /api/v1: the notice names the API client; a User reactivated and a refused reactivation tell nobody', async () => {
    await deactivate(mallory);
    const before = (await queued(SUBJECT)).length;
    const { client, clientSecret } = await apiClient(server, { name: 'HR sync', scopes: ['users:read', 'users:write'], companyId: company.companyId });
    const token = await tokenFor(server, client.clientId, clientSecret);
    const viaApi = await sendApi(server, 'POST', `/api/v1/companies/${company.companyId}/users/${mallory.id}/reactivate`, token, {});
    assert.equal(viaApi.status, 200, JSON.stringify(viaApi.body));
    assert.equal((await queued(SUBJECT)).length, before + 3);
    await server.mail.waitFor(() => mailsTo(emails.root).length === 2);
    assert.match(mailsTo(emails.root)[1]!.text, /the API client HR sync/);

    // A User back is no new Master.
    await deactivate(bob);
    assert.equal((await sendApi(server, 'POST', `/api/v1/companies/${company.companyId}/users/${bob.id}/reactivate`, token, {})).status, 200);
    // Already active: nothing changes, nobody is told.
    assert.equal((await sendApi(server, 'POST', `/api/v1/companies/${company.companyId}/users/${mallory.id}/reactivate`, token, {})).status, 200);
    // Refused (the Root Master is not an admin's target): rolled back, nobody told.
    const me = await company.root.agent.get('/api/me');
    const refused = await sendApi(server, 'POST', `/api/v1/companies/${company.companyId}/users/${me.body.user.id}/reactivate`, token, {});
    assert.notEqual(refused.status, 200);
    assert.equal((await queued(SUBJECT)).length, before + 3);
  });
});

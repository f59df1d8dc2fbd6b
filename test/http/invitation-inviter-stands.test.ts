// An invitation stands only while whoever sent it may still invite. A Master's
// session borrowed, the intruder invites someone of theirs; the Root Master finds out and
// deactivates, demotes or deletes that Master: every unused Sign Up link that Master sent
// is dead from then on (the page shows it as invalid, setting a password is refused), as
// a 2FA reset they asked for is withdrawn. An API client's invitations die with the client
// (deleted). Another Master who resends the invitation stands behind it instead, and the
// new link works. (src/users/signup.ts, inviterStillStands.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inviteMail, invitedMember, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { apiClient, sendApi, tokenFor } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { STRONG_PASSWORD, tokenFromLink } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { operatorWithTenants, type Tenants } from '../helpers/tenants.ts';

for (const engine of await enginesUnderTest()) describe(`an invitation against its inviter's right to invite (${engine})`, () => {
  let server: TestServer;
  let tenants: Tenants;
  before(async () => {
    server = await startTestServer({ engine });
    ({ tenants } = await operatorWithTenants(server, { namePrefix: 'Inviter Co', emailDomain: 'inviter.test' }));
  });
  after(() => server.close());

  const describeLink = async (token: string) => (await server.agent().get(`/api/signup/${token}`)).status;
  const signUpWith = (token: string) => server.agent().post('/api/signup', { token, password: STRONG_PASSWORD, confirm: STRONG_PASSWORD });

  /** A second Master, Mia, and the token of the invitation she sends to `username` (as `role`). */
  async function invitedByMia(role: 'master' | 'user'): Promise<{ company: SignedInCompany; mia: Person; token: string; inviteeId: string; email: string }> {
    const company = await tenants.signedIn();
    const mia = await invitedMember(server, company, company.root.agent, { username: 'mia', role: 'master', email: `mia.${company.companyId}@inviter.test` });
    const email = `newcomer.${company.companyId}@elsewhere.test`;
    const invited = await withFreshProof(server, mia.agent, () => mia.agent.post('/api/company/users', { email, username: 'newcomer', role }));
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const token = tokenFromLink((await inviteMail(server, company.companyName, email)).link);
    assert.equal(await describeLink(token), 200);
    return { company, mia, token, inviteeId: invited.body.user.id, email };
  }

  /** The Root Master acts on Mia. */
  async function rootActs(company: SignedInCompany, path: string, body?: object) {
    const answer = await withFreshProof(server, company.root.agent, () => company.root.agent.post(path, body));
    assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.body)}`);
  }

  async function deadLink(token: string) {
    assert.equal(await describeLink(token), 410, 'the Set Password page shows the link as invalid');
    const used = await signUpWith(token);
    assert.deepEqual([used.status, used.body.error?.code], [410, 'link.invalid'], JSON.stringify(used.body));
  }

  test('while the inviting Master is still a Master, the invitation works', async () => {
    const { token } = await invitedByMia('master');
    assert.equal((await signUpWith(token)).status, 200);
  });

  const losses: Array<[string, (company: SignedInCompany, mia: Person) => Promise<void>]> = [
    ['deactivated', (company, mia) => rootActs(company, `/api/company/users/${mia.id}/deactivate`)],
    ['demoted to User', (company, mia) => rootActs(company, `/api/company/users/${mia.id}/role`, { role: 'user' })],
    ['deleted', (company, mia) => rootActs(company, `/api/company/users/${mia.id}/delete`)],
  ];
  for (const [what, lose] of losses) {
    for (const role of ['master', 'user'] as const) {
      test(`an invitation to be a ${role === 'master' ? 'Master' : 'User'} from a Master since ${what}: its link is dead, and nobody is made`, async () => {
        const { company, mia, token, inviteeId } = await invitedByMia(role);
        await lose(company, mia);
        await deadLink(token);
        const invitee = await server.gatehouse.deps.db.selectFrom('users').select(['status', 'password_hash']).where('id', '=', inviteeId).executeTakeFirstOrThrow();
        assert.deepEqual({ ...invitee }, { status: 'invited', password_hash: null });
      });
    }
  }

  /** The company's API client (users:write) invites someone: the client, and the invitation's token. */
  async function invitedByClient() {
    const company = await tenants.signedIn();
    const made = await apiClient(server, { scopes: ['users:read', 'users:write'], companyId: company.companyId });
    const bearer = await tokenFor(server, made.client.clientId, made.clientSecret);
    const email = `synced.${company.companyId}@elsewhere.test`;
    const invited = await sendApi(server, 'POST', `/api/v1/companies/${company.companyId}/users`, bearer, { email, username: 'synced', role: 'user' });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const token = tokenFromLink((await inviteMail(server, company.companyName, email)).link);
    return { company, clientId: made.client.clientId, token };
  }

  test("an invitation from the company's API client, still standing: it works", async () => {
    const { token } = await invitedByClient();
    assert.equal((await signUpWith(token)).status, 200);
  });

  test("an invitation from the company's API client, deleted since: its link is dead", async () => {
    const { company, clientId, token } = await invitedByClient();
    const deleted = await withFreshProof(server, company.root.agent, () => company.root.agent.post(`/api/company/api-clients/${clientId}/delete`));
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    await deadLink(token);
  });

  test('the Root Master resends a dead invitation: the new link works, the old one stays dead', async () => {
    const { company, mia, token, inviteeId, email } = await invitedByMia('master');
    await rootActs(company, `/api/company/users/${mia.id}/deactivate`);
    await rootActs(company, `/api/company/users/${inviteeId}/resend-invite`);
    const fresh = tokenFromLink((await inviteMail(server, company.companyName, email, 1)).link);
    await deadLink(token);
    assert.equal((await signUpWith(fresh)).status, 200);
  });

  test('a Master given the right back (reactivated) stands behind their invitation again', async () => {
    const { company, mia, token } = await invitedByMia('user');
    await rootActs(company, `/api/company/users/${mia.id}/role`, { role: 'user' });
    await deadLink(token);
    await rootActs(company, `/api/company/users/${mia.id}/role`, { role: 'master' });
    assert.equal((await signUpWith(token)).status, 200);
  });
});

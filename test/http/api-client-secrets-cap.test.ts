// Handing out an API client's secret from a console (a create or a rotate) is a change to
// a way into the company, as a password changed or a key added: an audit event kept for
// good and a mail to the person who got it (src/api-clients/proved.ts). Capped with those
// changes (requireCredentialChange, 20 an hour per person, in the change's transaction):
// without it, the admin-change cap alone (300 in ten minutes) let one Master make
// Gatehouse write an event and send a mail at every proof they could give, by rotating
// one client again and again, or making and deleting clients. A refused hand-out changes
// nothing: the client keeps its secret, no event, no mail.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SIGNED_IN_WRITE_CAPS } from '../../src/shared/signed-in-writes.ts';
import { requestToken } from '../helpers/api-clients.ts';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const { limit } = SIGNED_IN_WRITE_CAPS.credentialChanges;

for (const engine of await enginesUnderTest()) describe(`API client secrets handed out from a console are capped like other changes to ways in (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Secrets Co', 'root@secrets.test');
  });
  after(() => server.close());

  const events = async (action: string) =>
    Number(
      (
        await dbOf(server)
          .selectFrom('audit_events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('company_id', '=', company.companyId)
          .where('action', '=', action)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const mailsTo = async (address: string) =>
    Number((await dbOf(server).selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('recipient', '=', address).executeTakeFirstOrThrow()).n);

  test(`one made and rotated ${limit + 4} times within the hour: the hand-outs past ${limit} are refused`, async () => {
    const made = await company.root.agent.post('/api/company/api-clients', { name: 'Sync', scopes: ['users:read'], ...proofOf(server, company.root) });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const clientId: string = made.body.client.clientId;
    const mailsBefore = await mailsTo('root@secrets.test');

    const answers: number[] = [];
    let lastSecret: string = made.body.clientSecret;
    for (let i = 0; i < limit + 4; i++) {
      const rotated = await company.root.agent.post(`/api/company/api-clients/${clientId}/rotate`, proofOf(server, company.root));
      answers.push(rotated.status);
      if (rotated.status === 200) lastSecret = rotated.body.clientSecret;
      else assert.equal(rotated.body.error?.code, 'profile.rate_limited', JSON.stringify(rotated.body));
    }
    const accepted = answers.filter((s) => s === 200).length;
    assert.equal(accepted, limit - 1, `${accepted} of ${answers.length} rotations accepted after the create, within ${((limit + 4) * 30) / 60} minutes`);
    assert.equal(await events('api_client.secret_rotated'), limit - 1, 'a refused rotation writes no event');
    assert.equal((await mailsTo('root@secrets.test')) - mailsBefore, limit - 1, 'a refused rotation sends no mail');

    // The secret last handed out still works: a refusal rotated nothing.
    const token = await requestToken(server, clientId, lastSecret, { scope: 'users:read' });
    assert.equal(token.status, 200, JSON.stringify(token.body));

    // The same cap refuses a new client, and the person's own password change.
    const another = await company.root.agent.post('/api/company/api-clients', { name: 'Another', scopes: ['users:read'], ...proofOf(server, company.root) });
    assert.equal(another.body.error?.code, 'profile.rate_limited', JSON.stringify(another.body));
    assert.equal(await events('api_client.created'), 1);
    const changed = await company.root.agent.post('/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword: 'Another-Strong-Passphrase-91!', confirm: 'Another-Strong-Passphrase-91!' });
    assert.equal(changed.body.error?.code, 'profile.rate_limited', JSON.stringify(changed.body));

  });
});

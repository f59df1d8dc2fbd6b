// A company's notices to its Masters ("a new Master", queueCompanyNotice) are capped per
// recipient (companyNoticeCaps, src/mail/send-caps.ts): the same notice three times an
// hour, thirty in all. Uncapped, every promotion mailed every active Master, and a Master's
// address need not be one anyone confirmed (the company's own identity provider creates
// users with whatever email it asserts): a tenant flipping one user's role made the
// platform's mail domain send an unbounded stream of mail to a third party. The cap is
// keyed by the notice's subject, so a flood of one notice never hides another.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, operatorAgent, switchedOnOidcProvider, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import type { TestOidcIdp } from '../helpers/oidc-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

const VICTIM = 'victim@third-party.test';
const PROMOTIONS = 60;

for (const engine of await enginesUnderTest()) describe(`company notices are no unbounded mail relay (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: TestOidcIdp;

  before(async () => {
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Relay Co', 'root@relay.test');
    ({ idp } = await switchedOnOidcProvider(server, company, { username: 'tester', email: 'tester@relay.test' }));
  });
  after(async () => {
    await idp?.close();
    await server?.close();
  });

  async function provisioned(username: string, email: string): Promise<string> {
    await idp.nextUser({ sub: `sub-${username}`, claims: { preferred_username: username, email }, amr: ['pwd'] });
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username, companyName: company.companyName })).body.step, 'sso');
    const started = await browser.post('/api/login/sso/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    await browser.get((await idp.signIn(started.body.redirectTo)).slice(server.baseUrl.length));
    const row = await dbOf(server).selectFrom('users').select(['id', 'email', 'status']).where('company_id', '=', company.companyId).where('username', '=', username).executeTakeFirstOrThrow();
    assert.deepEqual([row.email, row.status], [email, 'active'], 'made an active user by the provider, its address unconfirmed');
    return row.id;
  }

  test(`${PROMOTIONS} promotions of one user do not mail a third party's address ${PROMOTIONS} times`, async () => {
    // The "Master" whose mailbox is a stranger's: its address came from the company's own provider.
    const relay = await provisioned('relay', VICTIM);
    const root = company.root.agent;
    assert.equal((await withFreshProof(server, root, () => root.post(`/api/company/users/${relay}/role`, { role: 'master' }))).status, 200);
    const flipped = await provisioned('flipped', 'flipped@relay.test');

    let promoted = 0;
    for (let i = 0; i < PROMOTIONS; i++) {
      const up = await withFreshProof(server, root, () => root.post(`/api/company/users/${flipped}/role`, { role: 'master' }));
      if (up.status !== 200) break;
      promoted++;
      assert.equal((await root.post(`/api/company/users/${flipped}/role`, { role: 'user' })).status, 200);
    }
    const toVictim = async () =>
      Number(
        (await dbOf(server).selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('recipient', '=', VICTIM).executeTakeFirstOrThrow()).n,
      );
    const queued = await toVictim();
    // One mail per request was a relay (the mails are queued in each change's transaction).
    assert.ok(
      queued <= 4,
      `${promoted} promotions accepted and ${queued} mails queued to ${VICTIM}, an address nobody confirmed, within seconds`,
    );
    assert.equal(promoted, PROMOTIONS, 'the changes themselves are not refused: the trail has each');

    // The flood of one notice hides no other: someone else made a Master is still told.
    const other = await provisioned('other', 'other@relay.test');
    assert.equal((await withFreshProof(server, root, () => root.post(`/api/company/users/${other}/role`, { role: 'master' }))).status, 200);
    assert.equal(await toVictim(), queued + 1, 'the notice of another Master reaches every Master');
  });
});

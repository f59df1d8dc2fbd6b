// Every password hash a deployment makes is argon2id at OWASP's parameters (19 MiB, 2
// passes, 1 lane), as read back from the database after a sign-up and a password change.
// The test suite's own servers hash cheaper (helpers/server.ts, TEST_HASH_COST), which
// only a hash's own text can show: so this test looks at the stored text. A hash made at
// another cost (an older deployment's, or those cheap ones) still verifies: argon2id
// keeps its parameters in the hash.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hash } from '@node-rs/argon2';
import { enginesUnderTest } from '../helpers/databases.ts';
import { approvedCompany, logIn, signedInOperator, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

const OWASP_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$';

for (const engine of await enginesUnderTest()) describe(`password hashes as a deployment makes them (${engine})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ engine, owaspHashCost: true });
  });
  after(() => server.close());

  /** The Root Master the first test signs up. */
  let rootMaster: { id: string; username: string } | undefined;
  const storedHash = async (username: string, companyId?: string) => {
    let user = server.gatehouse.deps.db.selectFrom('users').select('password_hash').where('username', '=', username);
    if (companyId) user = user.where('company_id', '=', companyId);
    return (await user.executeTakeFirstOrThrow()).password_hash;
  };

  test('a sign-up and a password change store argon2id at OWASP’s parameters', async () => {
    const operator = await signedInOperator(server);
    assert.ok((await storedHash(operator.username))?.startsWith(OWASP_PREFIX), 'the first operator’s');
    const company = await approvedCompany(server, operator.agent);
    await signUp(server, company.link);
    rootMaster = await server.gatehouse.deps.db.selectFrom('users').select(['id', 'username']).where('company_id', '=', company.companyId).where('username', '=', company.username).executeTakeFirstOrThrow();
    assert.ok((await storedHash(company.username, company.companyId))?.startsWith(OWASP_PREFIX), 'the Root Master’s');

    const agent = server.agent();
    const { totpSecret } = await logIn(server, agent, { username: company.username, companyName: 'Acme Managed IT', password: STRONG_PASSWORD });
    const changed = await withFreshProof(server, agent, () =>
      agent.post('/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword: 'Copper-Lantern-77!', confirm: 'Copper-Lantern-77!' }),
    );
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.ok((await storedHash(company.username, company.companyId))?.startsWith(OWASP_PREFIX), 'the changed password’s');
    assert.ok(totpSecret);
  });

  test('a hash made at another cost still verifies: the login takes its parameters from it', async () => {
    // The Root Master of the test before, their hash replaced by one of an older cost.
    const user = rootMaster;
    assert.ok(user, 'the test before signed them up');
    const cheaper = await hash('Older-Deployment-31!', { algorithm: 2, memoryCost: 4096, timeCost: 3, parallelism: 1 });
    await server.gatehouse.deps.db.updateTable('users').set({ password_hash: cheaper }).where('id', '=', user.id).execute();
    const agent = server.agent();
    await agent.post('/api/login/identify', { username: user.username, companyName: 'Acme Managed IT' });
    const wrong = await agent.post('/api/login/password', { password: 'Older-Deployment-32!' });
    assert.equal(wrong.status, 401, JSON.stringify(wrong.body));
    const right = await agent.post('/api/login/password', { password: 'Older-Deployment-31!' });
    assert.equal(right.status, 200, JSON.stringify(right.body));
    assert.equal(right.body.step, 'totp');
  });
});

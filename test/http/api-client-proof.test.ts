// Handing out an API client's secret (a create or a rotate, in a company's console or the
// operators') needs proof, as new recovery codes do: the password and a current code, or a
// key. A secret acts with a Master's rights and no second factor and outlives every
// session, so a borrowed session cookie alone must not take one away. With the proof, the
// person who got the secret is told by mail. Deleting a client needs none: it only takes
// access away.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requestToken, sendApi } from '../helpers/api-clients.ts';
import { companyWithRootMaster, dbOf, invitedMember, logInAgain, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const NEW_PASSWORD = 'Lantern-Meadow-58?';
const CREATED = 'An API client was created with your Gatehouse account';
const ROTATED = "An API client's secret was rotated with your Gatehouse account";

for (const engine of await enginesUnderTest()) describe(`an API client's secret is handed out only after proof (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let operator: Awaited<ReturnType<typeof signedInOperator>>;
  let n = 0;

  before(async () => {
    server = await startTestServer({ engine });
    operator = await signedInOperator(server);
    company = await companyWithRootMaster(server, operator.agent, 'Proof Co', 'root@proof.test');
  });
  after(() => server.close());

  const notices = (email: string, subject: string) => server.mail.messages.filter((m) => m.to.includes(email) && m.subject === subject).length;
  const master = async () => {
    n += 1;
    return invitedMember(server, company, company.root.agent, { username: `mara${n}`, role: 'master', email: `mara${n}@proof.test` });
  };
  const stillNoClient = async () => (await company.root.agent.get('/api/company/api-clients')).body.clients.length;

  test("a borrowed Master's session cookie alone makes no client, and its owner's recovery leaves nothing behind", async () => {
    const mara = await master();
    const before = await stillNoClient();
    // The thief has Mara's cookie only: no password, no code.
    const thief = mara.agent;
    const bare = await thief.post('/api/company/api-clients', { name: 'backdoor', scopes: ['users:read', 'users:write'] });
    assert.equal(bare.status, 400, JSON.stringify(bare.body));
    assert.equal(bare.body.clientSecret, undefined);
    const guessed = await thief.post('/api/company/api-clients', { name: 'backdoor', scopes: ['users:read', 'users:write'], password: 'Wrong-Guess-12!', code: '123456' });
    assert.equal(guessed.status, 400, JSON.stringify(guessed.body));
    assert.equal(guessed.body.error?.fields?.password, 'Your current password is not correct.');
    assert.equal(await stillNoClient(), before, 'no client was made');

    // Mara recovers: the stolen session is over, and with it every way in it had.
    const own = await logInAgain(server, company, mara);
    assert.equal((await own.agent.post('/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD, confirm: NEW_PASSWORD })).status, 200);
    assert.equal((await thief.get('/api/me')).status, 401);
    const invite = await thief.post('/api/company/users', { email: `evil${n}@evil.test`, username: `evil${n}`, role: 'master' });
    assert.equal(invite.status, 401);
  });

  test('with the password and a code a Master creates a client and rotates its secret, and is told each time; deleting needs no proof', async () => {
    const mara = await master();
    const email = `mara${n}@proof.test`;
    const made = await mara.agent.post('/api/company/api-clients', { name: 'Directory sync', scopes: ['users:read'], ...proofOf(server, mara) });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    await server.mail.waitFor((m) => m.to.includes(email) && m.subject === CREATED);
    const { clientId } = made.body.client as { clientId: string };
    assert.equal((await requestToken(server, clientId, made.body.clientSecret)).status, 200);

    // The same code twice is no proof: a code works once.
    const proof = proofOf(server, mara);
    const bare = await mara.agent.post(`/api/company/api-clients/${clientId}/rotate`);
    assert.equal(bare.status, 400, JSON.stringify(bare.body));
    const rotated = await mara.agent.post(`/api/company/api-clients/${clientId}/rotate`, proof);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    await server.mail.waitFor((m) => m.to.includes(email) && m.subject === ROTATED);
    const replayed = await mara.agent.post(`/api/company/api-clients/${clientId}/rotate`, proof);
    assert.equal(replayed.status, 409, JSON.stringify(replayed.body));
    assert.equal(replayed.body.error.code, 'totp.already_used');
    assert.equal((await requestToken(server, clientId, rotated.body.clientSecret)).status, 200, 'the secret of the proved rotation stands');
    assert.equal(notices(email, ROTATED), 1, 'one notice for the one rotation');

    const deleted = await mara.agent.post(`/api/company/api-clients/${clientId}/delete`);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.equal((await requestToken(server, clientId, rotated.body.clientSecret)).status, 401);
  });

  test('an operator gives the same proof for a platform client and its rotation', async () => {
    const bare = await operator.agent.post('/api/operator/api-clients', { name: 'Onboarding', scopes: ['companies:read'] });
    assert.equal(bare.status, 400, JSON.stringify(bare.body));
    const made = await operator.agent.post('/api/operator/api-clients', { name: 'Onboarding', scopes: ['companies:read'], ...proofOf(server, operator) });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const { clientId } = made.body.client as { clientId: string };
    assert.equal((await operator.agent.post(`/api/operator/api-clients/${clientId}/rotate`)).status, 400);
    const rotated = await operator.agent.post(`/api/operator/api-clients/${clientId}/rotate`, proofOf(server, operator));
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    // The first operator's address (operator@localhost) is one mail is never sent to: the
    // notices are in the outbox all the same, written with the change.
    const me = (await operator.agent.get('/api/me')).body.user as { email: string };
    const queued = await dbOf(server).selectFrom('outbox').select('subject').where('recipient', '=', me.email).orderBy('created_at').execute();
    assert.deepEqual(queued.map((m) => m.subject).filter((s) => s === CREATED || s === ROTATED), [CREATED, ROTATED]);
    const token = await requestToken(server, clientId, rotated.body.clientSecret);
    assert.equal(token.status, 200);
    assert.equal((await sendApi(server, 'GET', `/api/v1/companies/${company.companyId}/users`, token.body.access_token)).status, 403, 'companies:read only');
  });
});

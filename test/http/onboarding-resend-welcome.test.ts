// Resending the welcome (src/companies/onboarding.ts resendWelcome), from the console and
// from /api/v1: its transaction first locks the company's row while the company is active
// (lockInvitingCompany, as every invitation does). So resends of one company take turns,
// and each revokes the link the one before it issued: a newer link revokes the earlier
// ones (docs/SECURITY.md, Sign Up links). Before, two resends at once on PostgreSQL each
// revoked the links they could see and inserted their own, and both links worked. And a
// suspended company gets no welcome: its link would work again once the company was
// reactivated, past the suspension that was to revoke every link (409 company.suspended,
// also for a resend that waited for the suspension on the company's row).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent, Answer } from '../helpers/agent.ts';
import { clientToken, sendApi } from '../helpers/api-clients.ts';
import { liveLinks } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signUpLinkIn, tokenFromLink } from '../helpers/journey.ts';
import { holdLocks, inFlight } from '../helpers/pg-lock-holder.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { operatorWithTenants, type Tenants } from '../helpers/tenants.ts';
import { until } from '../helpers/until.ts';

for (const engine of await enginesUnderTest()) describe(`resending the welcome (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let platform: string;
  let tenants: Tenants;
  before(async () => {
    server = await startTestServer({ engine });
    ({ operator, tenants } = await operatorWithTenants(server, { namePrefix: 'Welcome Co', emailDomain: 'welcome.test' }));
    platform = await clientToken(server, { name: 'Operations', scopes: ['companies:write'], companyId: null });
  });
  after(() => server.close());

  const consoleResend = (companyId: string) => operator.post(`/api/operator/companies/${companyId}/resend-welcome`);
  const apiAction = (companyId: string, action: 'suspend' | 'reactivate' | 'resend-welcome') =>
    sendApi(server, 'POST', `/api/v1/companies/${companyId}/${action}`, platform);
  const queued = async (companyId: string) =>
    (await server.gatehouse.deps.db.selectFrom('outbox').select('id').where('company_id', '=', companyId).execute()).length;
  const refused = (answer: Answer | { status: number; body: any }, status: number, code: string) =>
    assert.deepEqual([answer.status, answer.body.error?.code ?? answer.body.code], [status, code], JSON.stringify(answer.body));

  test('a suspended company gets no welcome (409 company.suspended), from the console or the API; reactivated, a resend works', async () => {
    const company = await tenants.approved();
    assert.equal((await apiAction(company.companyId, 'suspend')).status, 200);
    const mailed = await queued(company.companyId);

    refused(await consoleResend(company.companyId), 409, 'company.suspended');
    refused(await apiAction(company.companyId, 'resend-welcome'), 409, 'company.suspended');
    assert.equal(await queued(company.companyId), mailed, 'no welcome queued');
    assert.deepEqual(await liveLinks(server, company.companyId, ['signup']), [], 'no Sign Up link issued');

    assert.equal((await apiAction(company.companyId, 'reactivate')).status, 200);
    assert.deepEqual(await liveLinks(server, company.companyId, ['signup']), [], 'reactivating brings no link back');
    assert.equal((await consoleResend(company.companyId)).status, 200);
    const mails = () => server.mail.messages.filter((m) => m.to.includes(company.email) && m.subject === 'Welcome to Gatehouse');
    await server.mail.waitFor(() => mails().length === 2);
    const fresh = tokenFromLink(signUpLinkIn(mails()[1]!.text));
    assert.equal((await server.agent().get(`/api/signup/${fresh}`)).status, 200);
  });

  if (engine === 'postgres') test('six resends at once leave exactly one live Sign Up link (PostgreSQL, READ COMMITTED)', async () => {
    const company = await tenants.approved();
    const [welcome] = await liveLinks(server, company.companyId, ['signup']);
    assert.ok(welcome);
    // The session is touched now, so the requests below only read it.
    assert.equal((await operator.get('/api/me')).status, 200);

    // Another connection locks the welcome's link: every resend stops where it revokes
    // that link, or (taking turns) where it locks the company's row.
    const holder = await holdLocks(server.database.url);
    let resends: Array<Promise<Answer>> = [];
    try {
      assert.equal((await holder.query('SELECT 1 FROM action_links WHERE id = $1 FOR UPDATE', [welcome.id])).rowCount, 1);
      resends = Array.from({ length: 6 }, () => consoleResend(company.companyId));
      await until(async () => (await holder.lockWaiters()) >= 6, 'the six resends waiting on a lock');
      await holder.release();
    } finally {
      await holder.release().catch(() => {});
      await holder.close();
    }
    const answers = await Promise.all(resends);
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200, 200], JSON.stringify(answers.map((a) => a.body)));

    const live = await liveLinks(server, company.companyId, ['signup']);
    assert.equal(live.length, 1, 'one live Sign Up link for the Root Master: a newer link revokes the earlier ones');
    const mails = () => server.mail.messages.filter((m) => m.to.includes(company.email) && m.subject === 'Welcome to Gatehouse');
    await server.mail.waitFor(() => mails().length === 7);
    const opening = [];
    for (const mail of mails()) opening.push((await server.agent().get(`/api/signup/${tokenFromLink(signUpLinkIn(mail.text))}`)).status);
    assert.deepEqual(opening.filter((status) => status === 200).length, 1, `one mailed link opens: ${opening.join(',')}`);
  });

  if (engine === 'postgres') test('a resend queued behind the suspension on the company row is refused (PostgreSQL, READ COMMITTED)', async () => {
    const company = await tenants.approved();
    const [welcome] = await liveLinks(server, company.companyId, ['signup']);
    assert.ok(welcome);
    assert.equal((await operator.get('/api/me')).status, 200);
    const mailed = await queued(company.companyId);

    // The welcome's link locked: the suspension stops at revokeLiveLinks, after it has
    // updated (and locked) the company's row; the resend queues behind it.
    const holder = await holdLocks(server.database.url);
    let resend: { answered: boolean; answer: Promise<Answer> } | undefined;
    try {
      assert.equal((await holder.query('SELECT 1 FROM action_links WHERE id = $1 FOR UPDATE', [welcome.id])).rowCount, 1);
      const suspension = apiAction(company.companyId, 'suspend');
      await until(async () => (await holder.lockWaiters()) >= 1, "the suspension waiting on the welcome's link");
      resend = inFlight(consoleResend(company.companyId));
      await until(async () => resend!.answered || (await holder.lockWaiters()) >= 2, 'the resend waiting on a lock');
      await holder.release();
      assert.equal((await suspension).status, 200, 'the suspension committed');
    } finally {
      await holder.release().catch(() => {});
      await holder.close();
    }
    const answer = await resend!.answer;
    assert.equal((await apiAction(company.companyId, 'reactivate')).status, 200);
    assert.deepEqual(await liveLinks(server, company.companyId, ['signup']), [], 'the resend raced in left a link that works after reactivation');
    assert.equal(await queued(company.companyId), mailed, 'no welcome queued');
    refused(answer, 409, 'company.suspended');
  });
});

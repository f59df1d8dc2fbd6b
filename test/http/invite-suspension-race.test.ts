// An invitation racing its company's suspension (src/users/invitations.ts openInvitation,
// src/users/invitation-quota.ts lockInvitingCompany). Suspending revokes every unused
// emailed link for good (src/companies/suspension.ts): an invitation an intruder sent must
// not come back with the company. An invite request's guard reads the Master's session (or
// the API client's token) while the company is still active; before, nothing in the
// invite's transaction looked at the company again, so an invitation whose transaction ran
// after the suspension's revokeLiveLinks kept its Sign Up link, and the invitee (a Master,
// say) signed up once the company was reactivated. Now each invitation's transaction first
// locks the company's row while the company is active: it commits before the suspension
// (which then revokes its link) or finds the company suspended and writes nothing.
//
// Forced without sleeping, on both engines: the invite request is held after its guard,
// before its transaction begins, while the suspension commits. On PostgreSQL also under
// READ COMMITTED: another connection locks a live Sign Up link of the company, so the
// suspension stops at revokeLiveLinks, after it has updated (and locked) the company's row;
// a single invite, a bulk invite and a resend then queue behind that lock, and go on once
// the suspension has committed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Answer } from '../helpers/agent.ts';
import { clientToken, sendApi } from '../helpers/api-clients.ts';
import { dbOf, inviteMail, liveLinks } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signUpLinkIn, STRONG_PASSWORD, tokenFromLink } from '../helpers/journey.ts';
import { holdLocks } from '../helpers/pg-lock-holder.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { operatorWithTenants, type Tenants } from '../helpers/tenants.ts';
import { until } from '../helpers/until.ts';
import { holdNextTransaction } from '../helpers/held-transaction.ts';

for (const engine of await enginesUnderTest()) describe(`an invitation racing its company's suspension (${engine})`, () => {
  let server: TestServer;
  let platform: string;
  let tenants: Tenants;
  before(async () => {
    server = await startTestServer({ engine });
    ({ tenants } = await operatorWithTenants(server, { namePrefix: 'Raced Co', emailDomain: 'raced.test' }));
    platform = await clientToken(server, { name: 'Operations', scopes: ['companies:write', 'users:write'], companyId: null });
  });
  after(() => server.close());

  const usersPath = (companyId: string) => `/api/v1/companies/${companyId}/users`;
  const suspend = (companyId: string) => sendApi(server, 'POST', `/api/v1/companies/${companyId}/suspend`, platform);
  async function reactivate(companyId: string) {
    assert.equal((await sendApi(server, 'POST', `/api/v1/companies/${companyId}/reactivate`, platform)).status, 200);
  }

  /**
   * What an invitation raced in during the suspension left, the company reactivated: the
   * answer of a sign-up through the invite mail sent to `email` (none queued: undefined),
   * whether the user is there, and the company's Sign Up links still live.
   */
  async function leftOver(company: { companyId: string; companyName: string }, email: string) {
    const db = dbOf(server);
    const queued = await db.selectFrom('outbox').select('id').where('company_id', '=', company.companyId).where('recipient', '=', email).execute();
    let signUp: number | undefined;
    if (queued.length > 0) {
      const mail = await server.mail.waitFor((m) => m.to.includes(email));
      const token = tokenFromLink(signUpLinkIn(mail.text));
      signUp = (await server.agent().post('/api/signup', { token, password: STRONG_PASSWORD, confirm: STRONG_PASSWORD })).status;
    }
    const user = await db.selectFrom('users').select(['username', 'role']).where('company_id', '=', company.companyId).where('email', '=', email).executeTakeFirst();
    const live = await liveLinks(server, company.companyId, ['signup']);
    return { mailed: queued.length, signUp, user, liveLinks: live.length };
  }
  const nothingLeft = { mailed: 0, signUp: undefined, user: undefined, liveLinks: 0 };

  const refused = (answer: Answer | { status: number; body: any }, status: number, code: string) =>
    assert.deepEqual([answer.status, answer.body.error?.code ?? answer.body.code], [status, code], JSON.stringify(answer.body));

  test("a Master's invitation held after its guard while the suspension commits is refused; after reactivation nothing of it works", async () => {
    const company = await tenants.signedIn();
    const email = 'mallory@intruder.test';
    const held = holdNextTransaction(server, '/src/users/invitations.ts');
    try {
      const invite = company.root.agent.post('/api/company/users', { email, username: 'mallory', role: 'master' });
      await held.atHold;
      assert.equal((await suspend(company.companyId)).status, 200, 'the suspension commits meanwhile');
      held.release();
      const answer = await invite;
      await reactivate(company.companyId);
      assert.deepEqual(await leftOver(company, email), nothingLeft, 'the raced invitation left a Master who signs up after reactivation');
      refused(answer, 401, 'session.required');
    } finally {
      held.release();
      held.restore();
    }
  });

  test("a company API client's invitation held the same way is refused as its token is (401 api.invalid_token)", async () => {
    const company = await tenants.signedIn();
    const token = await clientToken(server, { scopes: ['users:write'], companyId: company.companyId });
    const email = 'mallet@intruder.test';
    const held = holdNextTransaction(server, '/src/users/invitations.ts');
    try {
      const invite = sendApi(server, 'POST', usersPath(company.companyId), token, { email, username: 'mallet', role: 'master' });
      await held.atHold;
      assert.equal((await suspend(company.companyId)).status, 200);
      held.release();
      const answer = await invite;
      await reactivate(company.companyId);
      assert.deepEqual(await leftOver(company, email), nothingLeft, 'the raced invitation works after reactivation');
      refused(answer, 401, 'api.invalid_token');
    } finally {
      held.release();
      held.restore();
    }
  });

  test('a platform client invites no one into a suspended company (409 invite.suspended_company); reactivated, it may again', async () => {
    const company = await tenants.signedIn();
    const email = 'pat@platform-invite.test';
    assert.equal((await suspend(company.companyId)).status, 200);
    const answer = await sendApi(server, 'POST', usersPath(company.companyId), platform, { email, username: 'pat', role: 'user' });
    const bulk = await sendApi(server, 'POST', `${usersPath(company.companyId)}/bulk-invite`, platform, { csv: `email,username,role\n${email},pat,user` });
    await reactivate(company.companyId);
    assert.deepEqual(await leftOver(company, email), nothingLeft, "an invitation sent into the suspended company works after it is reactivated");
    refused(answer, 409, 'invite.suspended_company');
    assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
    assert.deepEqual([bulk.body.invited, bulk.body.refused], [0, 1]);
    const again = await sendApi(server, 'POST', usersPath(company.companyId), platform, { email, username: 'pat', role: 'user' });
    assert.equal(again.status, 201, JSON.stringify(again.body));
    const { link } = await inviteMail(server, company.companyName, email);
    assert.equal((await server.agent().get(`/api/signup/${tokenFromLink(link)}`)).status, 200);
  });

  if (engine === 'postgres') test('invite, bulk invite and resend queued behind the suspension on the company row are refused (PostgreSQL, READ COMMITTED)', async () => {
    const company = await tenants.signedIn();
    const db = dbOf(server);
    // Pia is invited and has not signed up: her live Sign Up link is what the suspension
    // revokes, and what the test locks to stop the suspension there.
    const pending = await company.root.agent.post('/api/company/users', { email: 'pia@raced.test', username: 'pia', role: 'user' });
    assert.equal(pending.status, 201, JSON.stringify(pending.body));
    await inviteMail(server, company.companyName, 'pia@raced.test');
    // The session is touched now, so the requests below only read it (a touch would wait
    // for the suspension's delete of the session, before the handler ran).
    assert.equal((await company.root.agent.get('/api/me')).status, 200);

    const holder = await holdLocks(server.database.url);
    const { lockWaiters } = holder;
    let single: Promise<Answer> | undefined;
    let bulk: Promise<Answer> | undefined;
    let resend: Promise<Answer> | undefined;
    try {
      const locked = await holder.query(
        "SELECT 1 FROM action_links WHERE company_id = $1 AND user_id = $2 AND purpose = 'signup' AND consumed_at IS NULL AND revoked_at IS NULL FOR UPDATE",
        [company.companyId, pending.body.user.id],
      );
      assert.equal(locked.rowCount, 1);
      const suspension = suspend(company.companyId);
      await until(async () => (await lockWaiters()) >= 1, "the suspension waiting on Pia's link, the company's row updated");

      single = company.root.agent.post('/api/company/users', { email: 'mallory@intruder.test', username: 'mallory', role: 'master' });
      bulk = company.root.agent.post('/api/company/users/bulk-invite', {
        csv: ['email,username,role', 'bea@intruder.test,bea,master', 'bo@intruder.test,bo,user'].join('\n'),
      });
      resend = company.root.agent.post(`/api/company/users/${pending.body.user.id}/resend-invite`);
      await until(async () => (await lockWaiters()) >= 4, "the three invitations waiting on the company's row");

      await holder.release();
      assert.equal((await suspension).status, 200, 'the suspension committed');
    } finally {
      await holder.release().catch(() => {});
      await holder.close();
    }
    const answers = { single: await single, bulk: await bulk, resend: await resend };
    await reactivate(company.companyId);

    for (const email of ['mallory@intruder.test', 'bea@intruder.test', 'bo@intruder.test']) {
      assert.deepEqual(await leftOver(company, email), nothingLeft, `${email}: the raced invitation works after reactivation`);
    }
    const pia = await leftOver(company, 'pia@raced.test');
    assert.deepEqual([pia.mailed, pia.signUp, pia.liveLinks], [1, 410, 0], 'the resend raced in queued a second invitation whose link works after reactivation');
    const stillInvited = await db.selectFrom('users').select('password_hash').where('id', '=', pending.body.user.id).executeTakeFirstOrThrow();
    assert.equal(stillInvited.password_hash, null);

    // The bulk invite too: the session that sent the file ended, which ends the file's
    // request rather than refusing its rows one by one.
    refused(answers.single, 401, 'session.required');
    refused(answers.resend, 401, 'session.required');
    refused(answers.bulk, 401, 'session.required');
  });
});

// Invitation mail is rate limited (issue 7, item 21): per inviter per hour and per company
// per day, race-safe, for single, resent and bulk invitations; the operator sees each
// company's volume; and an inviter's display name cannot carry a link into the mail.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, dbOf, invitedMember, inviteSubject, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { logIn, signedInOperator, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const PER_INVITER = 3;
const PER_COMPANY = 5;

for (const engine of await enginesUnderTest()) describe(`invitation rate limits (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let operatorLogin: Awaited<ReturnType<typeof signedInOperator>>;
  let count = 0;
  before(async () => {
    server = await startTestServer({
      engine,
      env: { GATEHOUSE_INVITES_PER_INVITER_HOUR: String(PER_INVITER), GATEHOUSE_INVITES_PER_COMPANY_DAY: String(PER_COMPANY) },
    });
    operatorLogin = await signedInOperator(server);
    operator = operatorLogin.agent;
  });
  after(() => server.close());

  async function freshCompany() {
    count += 1;
    const company = await companyWithRootMaster(server, operator, `Quota Works ${count}`, `root${count}@quota.test`);
    return { company, domain: `c${count}.quota.test` };
  }
  const invite = (admin: Agent, username: string, domain: string) =>
    admin.post('/api/company/users', { email: `${username}@${domain}`, username, role: 'user' });
  /** Invitation emails of the company in the outbox (queued or sent): what leaves the platform. */
  async function invitationsQueued(company: SignedInCompany) {
    return Number((await dbOf(server).selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).where('company_id', '=', company.companyId).where('subject', '=', inviteSubject(company.companyName)).executeTakeFirstOrThrow()).n);
  }
  const invitationsCaptured = (company: SignedInCompany) => server.mail.messages.filter((m) => m.subject === inviteSubject(company.companyName)).length;
  async function usersOf(company: SignedInCompany) {
    return (await dbOf(server).selectFrom('users').select('username').where('company_id', '=', company.companyId).execute()).map((u) => u.username);
  }

  test('an inviter gets the hourly number of invitations, then 429 invite.rate_limited; resends count too', async () => {
    const { company, domain } = await freshCompany();
    for (let i = 1; i <= PER_INVITER - 1; i += 1) assert.equal((await invite(company.root.agent, `u${i}`, domain)).status, 201);
    const first = (await company.root.agent.get('/api/company/users')).body.users.find((u: { username: string }) => u.username === 'u1');
    assert.equal((await company.root.agent.post(`/api/company/users/${first.id}/resend-invite`)).status, 200, 'a resend is an invitation email');
    const over = await invite(company.root.agent, 'over', domain);
    assert.equal(over.status, 429);
    assert.equal(over.body.error.code, 'invite.rate_limited');
    assert.match(over.body.error.message, /Too many invitation emails/);
    assert.equal((await company.root.agent.post(`/api/company/users/${first.id}/resend-invite`)).body.error.code, 'invite.rate_limited');
    assert.ok(!(await usersOf(company)).includes('over'), 'no user without the invitation');
    await server.mail.waitFor(() => invitationsCaptured(company) === PER_INVITER);
    assert.equal(await invitationsQueued(company), PER_INVITER);
  });

  test('the company limit holds across inviters', async () => {
    const { company, domain } = await freshCompany();
    const master = await invitedMember(server, company, company.root.agent, { username: 'mira', role: 'master', email: `mira@${domain}` });
    for (const name of ['r1', 'r2']) assert.equal((await invite(company.root.agent, name, domain)).status, 201); // root: 3 of 3
    for (const name of ['m1', 'm2']) assert.equal((await invite(master.agent, name, domain)).status, 201); // company: 5 of 5
    const over = await invite(master.agent, 'm3', domain);
    assert.equal(over.status, 429, 'the Master has sent two of three, but the company has used its day');
    assert.equal(over.body.error.code, 'invite.rate_limited');
    await server.mail.waitFor(() => invitationsCaptured(company) === PER_COMPANY);
    assert.equal(await invitationsQueued(company), PER_COMPANY);
  });

  test('parallel invitations cannot exceed the limit together', async () => {
    const { company, domain } = await freshCompany();
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => invite(company.root.agent, `p${i}`, domain)));
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 201).length, PER_INVITER, JSON.stringify(answers.map((a) => a.body.error?.code ?? a.status)));
    assert.equal(statuses.filter((s) => s === 429).length, 12 - PER_INVITER);
    assert.equal((await usersOf(company)).length, 1 + PER_INVITER);
    await server.mail.waitFor(() => invitationsCaptured(company) === PER_INVITER);
    assert.equal(await invitationsQueued(company), PER_INVITER);
  });

  test('a bulk invite counts each row and refuses the rows over the limit, without mail', async () => {
    const { company, domain } = await freshCompany();
    const rows = ['b1', 'b2', 'b3', 'b4', 'b5'].map((name) => `${name},${name}@${domain},user`);
    const answer = await company.root.agent.post('/api/company/users/bulk-invite', { csv: ['username,email,role', ...rows].join('\n') });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.invited, PER_INVITER);
    const refused = answer.body.rows.filter((r: { status: string }) => r.status === 'refused');
    assert.deepEqual(refused.map((r: { username: string }) => r.username), ['b4', 'b5']);
    for (const row of refused) assert.match(row.reason, /Too many invitation emails/);
    await server.mail.waitFor(() => invitationsCaptured(company) === PER_INVITER);
    assert.ok(!server.mail.messages.some((m) => /b[45]@/.test(m.to)));
  });

  test("operators see each company's invitation volume", async () => {
    const { company, domain } = await freshCompany();
    for (const name of ['v1', 'v2']) assert.equal((await invite(company.root.agent, name, domain)).status, 201);
    const listed = (await operator.get('/api/operator/companies')).body.companies.find((c: { id: string }) => c.id === company.companyId);
    assert.deepEqual(listed.invitations, { last24h: 2, last7d: 2 });
    server.clock.advance(25 * 3_600_000);
    operator = server.agent();
    await logIn(server, operator, { ...operatorLogin, password: STRONG_PASSWORD });
    const dayLater = (await operator.get('/api/operator/companies')).body.companies.find((c: { id: string }) => c.id === company.companyId);
    assert.deepEqual(dayLater.invitations, { last24h: 0, last7d: 2 });
  });

  test('a username a mail client would turn into a link is left out of the invitation; the Sign Up page shows it', async () => {
    const { company, domain } = await freshCompany();
    const cases: Array<[string, string, boolean]> = [
      ['a domain', 'www.claim-your-prize.example', false],
      ['an address', 'support-0@secure-login.example', false],
      ['a plain name', 'jane-doe', true],
    ];
    for (const [label, username, shown] of cases) {
      const email = `${label.replaceAll(' ', '-')}@${domain}`;
      const invited = await company.root.agent.post('/api/company/users', { email, username, role: 'user' });
      assert.equal(invited.status, 201, `${label}: ${JSON.stringify(invited.body)}`);
      const mail = await server.mail.waitFor((m) => m.to.includes(email));
      const ours = (mail.text + mail.html + mail.subject).replaceAll(/https?:\/\/\S+\/signup\/[A-Za-z0-9_-]+/g, '');
      assert.equal(ours.includes(username), shown, `${label}: the mail ${shown ? 'names' : 'must not name'} ${username}`);
      if (!shown) assert.match(mail.text, /Your username is shown on the Sign Up page\./);
      const token = /\/signup\/([A-Za-z0-9_-]{43})/.exec(mail.text)?.[1];
      assert.equal((await server.agent().get(`/api/signup/${token}`)).body.username, username, label);
    }
  });

  test("an inviter's display name carries no link or second line into the invitation", async () => {
    const { company, domain } = await freshCompany();
    const names = {
      link: 'Claim your prize at https://evil.example/win',
      domain: 'Support evil-example.com',
      lines: 'Ann\r\nBcc: victim@else.example',
    }; // three: the inviter's hourly limit here (more cases in src/mail/mail-safe-name.test.ts)
    for (const [label, displayName] of Object.entries(names)) {
      const saved = await company.root.agent.post('/api/me/profile', { displayName });
      // The profile form refuses control characters; a name stored another way (an older
      // version, the database) must still come out as one plain line.
      if (saved.status !== 200) await dbOf(server).updateTable('users').set({ display_name: displayName }).where('company_id', '=', company.companyId).where('id', '=', company.root.id).execute();
      assert.equal((await invite(company.root.agent, `n${label}`, domain)).status, 201, label);
      const mail = await server.mail.waitFor((m) => m.to.includes(`n${label}@${domain}`));
      const line = mail.text.split('\n').find((l) => l.includes('invited you') || l.includes('have been invited')) ?? '';
      // The Sign Up link's random token could spell "bcc" or "evil" by chance: it is left out.
      const ours = (mail.text + mail.subject).replaceAll(/https?:\/\/\S+\/signup\/[A-Za-z0-9_-]+/g, '');
      assert.ok(!/evil|else\.example|Bcc/i.test(ours), `${label}: ${line}`);
      assert.match(line, /^You have been invited/, label);
    }
  });
});

// An invitation stands only while whoever sent it may still invite (docs/SECURITY.md,
// "Audit trail": "a Master deactivated, demoted or deleted after a borrowed session was
// found out ... leaves no invitation that still makes someone a user"). The Sign Up link
// obeys that; a single sign-on answer naming the invited username must too, or the
// intruder's invitation (say, to be a Master) was carried out by the company's provider
// at that person's first sign-in. provisionUser (src/sso/sign-in.ts) now asks the link's
// own rule (invitationStands): the sign-in is refused, and a Master can invite the user
// again. Found by an audit of single sign-on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, invitedMember, operatorAgent, switchedOnOidcProvider, type SignedInCompany } from '../helpers/company-admin.ts';
import type { TestOidcIdp } from '../helpers/oidc-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

describe('an invitation whose inviter may no longer invite, met at a single sign-on (sqlite)', () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: TestOidcIdp;
  let inviteeId: string;

  before(async () => {
    server = await startTestServer({ engine: 'sqlite' });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Stale Invite', 'dana@staleinvite.test');
    // Mia, a second Master, whose session is borrowed: the intruder invites "newcomer" as a Master.
    const mia = await invitedMember(server, company, company.root.agent, { username: 'mia', role: 'master' });
    const invited = await withFreshProof(server, mia.agent, () => mia.agent.post('/api/company/users', { email: 'newcomer@elsewhere.test', username: 'newcomer', role: 'master' }));
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    inviteeId = invited.body.user.id;
    // Found out: the Root Master deactivates Mia. Her invitation's link is dead from now on.
    const off = await withFreshProof(server, company.root.agent, () => company.root.agent.post(`/api/company/users/${mia.id}/deactivate`));
    assert.equal(off.status, 200, JSON.stringify(off.body));
    ({ idp } = await switchedOnOidcProvider(server, company));
  });
  after(async () => {
    await idp?.close();
    await server?.close();
  });

  test('the provider naming "newcomer" does not make the dead invitation an active Master', async () => {
    await idp.nextUser({ sub: 'sub-newcomer', claims: { preferred_username: 'newcomer', email: 'newcomer@corp.test' } });
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username: 'newcomer', companyName: company.companyName })).body.step, 'sso');
    const started = await browser.post('/api/login/sso/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const back = await idp.signIn(started.body.redirectTo);
    await browser.get(back.slice(server.baseUrl.length));
    const row = await dbOf(server).selectFrom('users').select(['status', 'role']).where('id', '=', inviteeId).executeTakeFirstOrThrow();
    const step = (await browser.get('/api/login')).body.step;
    assert.ok(
      !(row.status === 'active' && row.role === 'master'),
      `the invitation sent by a since-deactivated Master made "newcomer" an active Master through the provider (status ${row.status}, role ${row.role}, login step ${step})`,
    );
    assert.deepEqual([row.status, step], ['invited', 'sso'], 'refused: still invited, the login not moved on');
    const failed = await dbOf(server).selectFrom('audit_events').select('detail').where('action', '=', 'sso.login_failed').execute();
    assert.ok(failed.some((event) => /invitation no longer stands/.test(event.detail ?? '')), JSON.stringify(failed));
  });
});

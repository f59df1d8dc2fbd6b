// Company administration steps over HTTP: a company whose Root Master is signed in, and
// users invited by mail who sign up through the link in that mail and enroll.
import assert from 'node:assert/strict';
import type { ActionLinksTable } from '../../src/storage/schema.ts';
import type { Agent } from './agent.ts';
import { ACME_REQUEST, approvedCompany, logIn, signedInOperator, signUp, signUpLinkIn, STRONG_PASSWORD } from './journey.ts';
import { startOidcIdp } from './oidc-idp.ts';
import type { TestServer } from './server.ts';
import { withFreshProof } from './step-up.ts';

export interface Person {
  id: string;
  username: string;
  agent: Agent;
  totpSecret: string;
}

export interface SignedInCompany {
  companyId: string;
  companyName: string;
  root: Person;
  /** The Root Master's recovery codes, answered once at their enrollment (companyWithRootMaster). */
  recoveryCodes?: string[];
}

export const inviteSubject = (companyName: string) => `You're invited to ${companyName} on Gatehouse`;

/** An approved company whose Root Master has signed up, enrolled and is signed in. */
export async function companyWithRootMaster(server: TestServer, operator: Agent, companyName: string, email: string, password = STRONG_PASSWORD): Promise<SignedInCompany> {
  const request = { ...ACME_REQUEST, companyName, email };
  const company = await approvedCompany(server, operator, request);
  await signUp(server, company.link, password);
  const agent = server.agent();
  const { totpSecret, recoveryCodes } = await logIn(server, agent, { username: company.username, companyName, password });
  const me = await agent.get('/api/me');
  assert.equal(me.body.user.role, 'root_master');
  return { companyId: company.companyId, companyName, root: { id: me.body.user.id, username: company.username, agent, totpSecret }, recoveryCodes: recoveryCodes ?? [] };
}

export async function operatorAgent(server: TestServer): Promise<Agent> {
  return (await signedInOperator(server)).agent;
}

/** The newest invite mail to `email` after `already` earlier ones, and its Sign Up link. */
export async function inviteMail(server: TestServer, companyName: string, email: string, already = 0) {
  const matches = () => server.mail.messages.filter((m) => m.to.includes(email) && m.subject === inviteSubject(companyName));
  await server.mail.waitFor(() => matches().length > already);
  const mail = matches()[already];
  assert.ok(mail);
  return { mail, link: signUpLinkIn(mail.text) };
}

/** Invited by `admin`, signed up through the mailed link, logged in with 2FA enrolled. */
export async function invitedMember(
  server: TestServer,
  company: SignedInCompany,
  admin: Agent,
  who: { username: string; role: 'master' | 'user'; email?: string },
): Promise<Person> {
  const email = who.email ?? `${who.username}@members.test`;
  const invited = await withFreshProof(server, admin, () => admin.post('/api/company/users', { email, username: who.username, role: who.role }));
  assert.equal(invited.status, 201, JSON.stringify(invited.body));
  const { link } = await inviteMail(server, company.companyName, email);
  await signUp(server, link);
  const agent = server.agent();
  const { totpSecret } = await logIn(server, agent, { username: who.username, companyName: company.companyName, password: STRONG_PASSWORD });
  return { id: invited.body.user.id, username: who.username, agent, totpSecret };
}

/** Logs an enrolled person in again on a fresh agent (a later TOTP step than the last one). */
export async function logInAgain(server: TestServer, company: SignedInCompany, person: Person): Promise<Person> {
  server.clock.advance(30_000);
  const agent = server.agent();
  const { totpSecret } = await logIn(server, agent, {
    username: person.username,
    companyName: company.companyName,
    password: STRONG_PASSWORD,
    totpSecret: person.totpSecret,
  });
  return { ...person, agent, totpSecret };
}

export function dbOf(server: TestServer) {
  return server.gatehouse.deps.db;
}

/** The company's emailed links of these purposes that would still work: neither used nor revoked. */
export function liveLinks(server: TestServer, companyId: string, purposes: ReadonlyArray<ActionLinksTable['purpose']>) {
  return dbOf(server)
    .selectFrom('action_links')
    .select('id')
    .where('company_id', '=', companyId)
    .where('purpose', 'in', purposes)
    .where('consumed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute();
}

/**
 * The company's OpenID Connect provider (node oidc-provider in its own process) added, tried
 * with a Test Sign-In, the Root Master kept as break-glass, and switched on: single sign-on
 * as a Master leaves it ready for the company's users. `tester` names who signs in for the test.
 */
export async function switchedOnOidcProvider(server: TestServer, company: SignedInCompany, tester = { username: 'tester', email: 'tester@okta.test' }) {
  const overview = await company.root.agent.get('/api/company/sso');
  const idp = await startOidcIdp(overview.body.serviceProvider.oidcRedirectUri);
  const added = await company.root.agent.post('/api/company/sso/providers', {
    kind: 'oidc', name: 'Acme Okta', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, usernameAttribute: 'preferred_username', trustProviderMfa: false,
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const providerId = added.body.provider.id as string;
  await idp.nextUser({ sub: `sub-${tester.username}`, claims: { preferred_username: tester.username, email: tester.email } });
  const started = await company.root.agent.post(`/api/company/sso/providers/${providerId}/test`);
  await company.root.agent.get((await idp.signIn(started.body.redirectTo)).slice(server.baseUrl.length));
  assert.equal((await company.root.agent.post('/api/company/sso', { breakGlassUserIds: [company.root.id] })).status, 200);
  assert.equal((await company.root.agent.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true })).status, 200);
  return { idp, providerId };
}

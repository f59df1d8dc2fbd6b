// Company administration steps over HTTP: a company whose Root Master is signed in, and
// users invited by mail who sign up through the link in that mail and enroll.
import assert from 'node:assert/strict';
import type { Agent } from './agent.ts';
import { ACME_REQUEST, approvedCompany, logIn, signedInOperator, signUp, signUpLinkIn, STRONG_PASSWORD } from './journey.ts';
import type { TestServer } from './server.ts';

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
}

export const inviteSubject = (companyName: string) => `You're invited to ${companyName} on Gatehouse`;

/** An approved company whose Root Master has signed up, enrolled and is signed in. */
export async function companyWithRootMaster(server: TestServer, operator: Agent, companyName: string, email: string): Promise<SignedInCompany> {
  const request = { ...ACME_REQUEST, companyName, email };
  const company = await approvedCompany(server, operator, request);
  await signUp(server, company.link);
  const agent = server.agent();
  const { totpSecret } = await logIn(server, agent, { username: company.username, companyName, password: STRONG_PASSWORD });
  const me = await agent.get('/api/me');
  assert.equal(me.body.user.role, 'root_master');
  return { companyId: company.companyId, companyName, root: { id: me.body.user.id, username: company.username, agent, totpSecret } };
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
  const invited = await admin.post('/api/company/users', { email, username: who.username, role: who.role });
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

// Fresh companies on demand for a test file that starts one server and gives each test
// its own company: numbered names and addresses, made by the operator over HTTP.
import type { Agent } from './agent.ts';
import { companyWithRootMaster, invitedMember, logInAgain, type SignedInCompany } from './company-admin.ts';
import { ACME_REQUEST, approvedCompany, logIn, signedInOperator, signUp, signUpLinkIn, STRONG_PASSWORD, tokenFromLink } from './journey.ts';
import type { TestServer } from './server.ts';

type Operator = Awaited<ReturnType<typeof signedInOperator>>;

/** Numbered companies (`${namePrefix} 1`, root1@emailDomain, …), so each test gets its own on a shared server. */
export function tenantFactory(server: TestServer, operator: Operator, { namePrefix, emailDomain }: { namePrefix: string; emailDomain: string }) {
  let count = 0;

  /** The operator's agent, logged in again a TOTP step later when a test moved the clock past its session. */
  async function operatorAgent(): Promise<Agent> {
    if ((await operator.agent.get('/api/me')).status === 200) return operator.agent;
    server.clock.advance(30_000);
    await logIn(server, operator.agent, { ...operator, password: STRONG_PASSWORD });
    return operator.agent;
  }

  /** An approved company and its Sign Up link, from the welcome mail naming the company, as an address may serve several. */
  async function approved(email?: string) {
    count += 1;
    const request = { ...ACME_REQUEST, companyName: `${namePrefix} ${count}`, email: email ?? `root${count}@${emailDomain}` };
    const company = await approvedCompany(server, await operatorAgent(), request);
    const welcome = await server.mail.waitFor((m) => m.to.includes(request.email) && m.subject === 'Welcome to Gatehouse' && m.text.includes(request.companyName));
    const link = signUpLinkIn(welcome.text);
    return { ...company, mail: welcome, link, token: tokenFromLink(link), companyName: request.companyName, email: request.email };
  }

  /** A Root Master with a password who has never logged in, for tests of the first login and 2FA enrollment. */
  async function signedUp(email?: string) {
    const company = await approved(email);
    await signUp(server, company.link);
    return { username: company.username, companyName: company.companyName, password: STRONG_PASSWORD, email: company.email, companyId: company.companyId };
  }

  /** A company whose Root Master is signed in on `agent` with 2FA enrolled, for tests that start from a working account. */
  async function member(email?: string) {
    const who = await signedUp(email);
    const agent = server.agent();
    const { totpSecret } = await logIn(server, agent, who);
    return { agent, ...who, totpSecret };
  }

  /** A company whose Root Master is signed in with 2FA enrolled, for tests that administer it. */
  async function signedIn(): Promise<SignedInCompany> {
    count += 1;
    return companyWithRootMaster(server, await operatorAgent(), `${namePrefix} ${count}`, `root${count}@${emailDomain}`);
  }

  /**
   * A User of a fresh company signed in (`victim.agent`), and a second session of theirs on
   * `thief`: someone who knows the password, for tests of what the owner's recovery leaves them.
   */
  async function stolenSession() {
    const company = await signedIn();
    const username = `victim${count}`;
    const email = `${username}@${emailDomain}`;
    const victim = { ...(await invitedMember(server, company, company.root.agent, { username, role: 'user', email })), email };
    const thief = (await logInAgain(server, company, victim)).agent;
    return { company, victim, thief };
  }

  return { operatorAgent, approved, signedUp, member, signedIn, stolenSession };
}

export type Tenants = ReturnType<typeof tenantFactory>;

/** The operator signed in (their agent), and numbered companies made by them: the usual start of such a file. */
export async function operatorWithTenants(server: TestServer, options: { namePrefix: string; emailDomain: string }) {
  const operator = await signedInOperator(server);
  return { operator: operator.agent, tenants: tenantFactory(server, operator, options) };
}

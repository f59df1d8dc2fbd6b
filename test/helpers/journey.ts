// The seed's journey as reusable steps over HTTP, so each test starts where it needs to.
import assert from 'node:assert/strict';
import { firstOperatorSetup } from '../../src/companies/index.ts';
import type { Agent } from './agent.ts';
import { proveMailbox } from './enrollment-code.ts';
import type { TestServer } from './server.ts';
import { rememberSecret, withFreshProof } from './step-up.ts';
import { totpAt } from './totp.ts';

export const STRONG_PASSWORD = 'Velvet-Harbor-42!';

export function tokenFromLink(url: string): string {
  const match = /\/signup\/([A-Za-z0-9_-]{43})/.exec(url);
  assert.ok(match, `no Sign Up link in ${url}`);
  return match[1] as string;
}

/** The token of a mailed link to `/<page>/<token>` (reset-password, confirm-email, cancel-email...), if the text has one. */
export const tokenIn = (text: string, page: string) => new RegExp(`/${page}/([A-Za-z0-9_-]{43})`).exec(text)?.[1] as string;

export function signUpLinkIn(text: string): string {
  const match = /https?:\/\/\S+\/signup\/[A-Za-z0-9_-]{43}/.exec(text);
  assert.ok(match, 'the mail carries a Sign Up link');
  return match[0];
}

/** Logs in through every step, enrolling 2FA when asked; returns the TOTP secret. */
/** A new browser past the password step (identify, password): at the code step, or enrollment. */
export async function pastPassword(server: TestServer, who: { username: string; companyName: string; password: string }) {
  const agent = server.agent();
  await agent.post('/api/login/identify', { username: who.username, companyName: who.companyName });
  const answer = await agent.post('/api/login/password', { password: who.password });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return { agent, step: answer.body.step as string };
}

export async function logIn(
  server: TestServer,
  agent: Agent,
  who: { username: string; companyName: string; password: string; totpSecret?: string },
): Promise<{ totpSecret: string; recoveryCodes?: string[] }> {
  const identified = await agent.post('/api/login/identify', { username: who.username, companyName: who.companyName });
  assert.equal(identified.status, 200);
  // A company signing in through its identity provider: "Use password instead" (break-glass users).
  if (identified.body.step === 'sso') assert.equal((await agent.post('/api/login/sso/password')).body.step, 'password');
  const afterPassword = await agent.post('/api/login/password', { password: who.password });
  assert.equal(afterPassword.status, 200, JSON.stringify(afterPassword.body));
  if (afterPassword.body.step === 'totp') {
    assert.ok(who.totpSecret, 'an enrolled user needs the secret');
    const done = await agent.post('/api/login/totp', { code: totpAt(who.totpSecret, server.clock()) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    rememberSecret(agent, who.totpSecret);
    return { totpSecret: who.totpSecret };
  }
  // After someone else reset the user's 2FA: the mailed code first.
  if (afterPassword.body.step === 'mail_code') await proveMailbox(server, agent, `${who.username} at ${who.companyName}`);
  else assert.equal(afterPassword.body.step, 'enroll');
  const enrollment = await agent.post('/api/login/enroll/start');
  assert.equal(enrollment.status, 200);
  const secret = enrollment.body.secret as string;
  const done = await agent.post('/api/login/enroll/verify', { code: totpAt(secret, server.clock()) });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  // The next code must come from a later step: the enrollment code is used up.
  server.clock.advance(30_000);
  rememberSecret(agent, secret);
  return { totpSecret: secret, recoveryCodes: done.body.recoveryCodes as string[] };
}

/** The first operator signs up and logs in (with 2FA); returns their agent. */
export async function signedInOperator(server: TestServer) {
  const setup = await firstOperatorSetup(server.gatehouse.deps);
  assert.ok(setup);
  const agent = server.agent();
  const signup = await agent.post('/api/signup', { token: tokenFromLink(setup.url), password: STRONG_PASSWORD, confirm: STRONG_PASSWORD });
  assert.equal(signup.status, 200, JSON.stringify(signup.body));
  const { totpSecret } = await logIn(server, agent, { username: setup.username, companyName: setup.companyName, password: STRONG_PASSWORD });
  return { agent, username: setup.username, companyName: setup.companyName, totpSecret };
}

export const ACME_REQUEST = {
  companyName: 'Acme Managed IT',
  contactName: 'Dana Root',
  email: 'dana@acme.test',
  phone: '+1 555 0100',
  note: 'Forty technicians',
};

/** A company requested, approved and its welcome mail received; returns the link. */
export async function approvedCompany(server: TestServer, operator: Agent, request = ACME_REQUEST, username?: string) {
  const created = await server.agent().post('/api/account-requests', request);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const approved = await withFreshProof(server, operator, () => operator.post(`/api/operator/requests/${created.body.id}/approve`, username ? { username } : {}));
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  const mail = await server.mail.waitFor((m) => m.to.includes(request.email) && m.subject === 'Welcome to Gatehouse');
  return { requestId: created.body.id as string, companyId: approved.body.companyId as string, username: approved.body.username as string, mail, link: signUpLinkIn(mail.text) };
}

export async function signUp(server: TestServer, link: string, password = STRONG_PASSWORD) {
  const answer = await server.agent().post('/api/signup', { token: tokenFromLink(link), password, confirm: password });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
}

// After someone else reset a user's 2FA, a login proves the user's mailbox before it may
// enroll again (src/login/mail-proof.ts): the page asks for the code to be mailed, the
// user types it. These read it from the captured mail, as the user would.
import assert from 'node:assert/strict';
import type { Agent, Answer } from './agent.ts';
import type { CapturedMail } from './smtp.ts';
import type { TestServer } from './server.ts';

export const ENROLLMENT_CODE_SUBJECT = 'Your Gatehouse code to set up 2FA';

/** The code a captured mail carries. */
export function codeIn(mail: CapturedMail): string {
  const code = /Enter this code on the login page: (\d{6})/.exec(mail.text)?.[1];
  assert.ok(code, `no code in: ${mail.text}`);
  return code;
}

/**
 * Asks for a code for this agent's login (at the mail_code step) and waits for the new
 * mail to `to`: an address, or "username at Company" as the mail names the account.
 */
export async function mailedCode(server: TestServer, agent: Agent, to: string): Promise<{ code: string; mail: CapturedMail; answer: Answer }> {
  const before = server.mail.messages.length;
  const answer = await agent.post('/api/login/enroll/mail-code');
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const mail = await server.mail.waitFor((m) => server.mail.messages.indexOf(m) >= before && m.subject === ENROLLMENT_CODE_SUBJECT && (m.to.includes(to) || m.text.includes(to)));
  return { code: codeIn(mail), mail, answer };
}

/** The login at the mail_code step moves on to enrollment with the mailed code. */
export async function proveMailbox(server: TestServer, agent: Agent, to: string): Promise<void> {
  const { code } = await mailedCode(server, agent, to);
  const proved = await agent.post('/api/login/enroll/mail-code/verify', { code });
  assert.equal(proved.status, 200, JSON.stringify(proved.body));
  assert.equal(proved.body.step, 'enroll');
}

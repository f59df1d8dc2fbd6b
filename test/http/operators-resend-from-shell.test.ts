// Operators are added on the server only (`gatehouse operator create` prints a one-time Sign
// Up link, "no mail is sent"; docs/OPERATIONS.md), "so a stolen operator session cannot
// make more operators": the platform's Company page invites no one
// (409 user.operators_from_shell). Its resend-invite does, though: an operator's cookie
// alone (resend-invite is not a sensitive change) re-issues the Sign Up link of an operator
// made with the CLI who has not signed up yet, revokes the printed link, and mails the new
// one, which, with the embedded default mail, lands in the Mailbox every operator reads.
// Whoever held the cookie then set that operator's password and enrolled their own 2FA:
// an operator account of their own, which outlived the victim's recovery. Every mailed
// invitation now opens through one check (openInvitation, src/users/invitations.ts) that
// refuses the platform company. Found by an audit of the company lifecycle.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createOperator } from '../../src/companies/index.ts';
import { logIn, signedInOperator, signUpLinkIn, STRONG_PASSWORD, tokenFromLink } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('the platform Company page resends no operator Sign Up link', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ mailbox: true });
  });
  after(() => server.close());

  test("an operator's cookie alone cannot turn a CLI-made operator's printed link into a mailed one it reads", async () => {
    const admin = await signedInOperator(server);
    const printed = await createOperator(server.gatehouse.deps, { username: 'jane', email: 'jane@ops.test' }, { actorId: 'cli', ip: null, userAgent: null });
    const printedToken = tokenFromLink(printed.url);
    const jane = await server.gatehouse.deps.db.selectFrom('users').select('id').where('username', '=', 'jane').executeTakeFirstOrThrow();

    // A session borrowed long after its owner last proved themselves: no step-up proof.
    server.clock.advance(20 * 60_000);
    const resent = await admin.agent.post(`/api/company/users/${jane.id}/resend-invite`);

    // The thief reads the new link in the console's Mailbox and becomes an operator.
    let becameOperator = false;
    if (resent.status === 200) {
      const list = await admin.agent.get('/api/operator/mail');
      const entry = (list.body.messages as Array<{ id: string; to: string }>).find((m) => m.to === 'jane@ops.test');
      const shown = entry ? await admin.agent.get(`/api/operator/mail/${entry.id}`) : undefined;
      if (shown?.status === 200) {
        const link = signUpLinkIn(shown.body.text as string);
        const set = await server.agent().post('/api/signup', { token: tokenFromLink(link), password: STRONG_PASSWORD, confirm: STRONG_PASSWORD });
        if (set.status === 200) {
          const thief = server.agent();
          await logIn(server, thief, { username: 'jane', companyName: printed.companyName, password: STRONG_PASSWORD });
          becameOperator = (await thief.get('/api/me')).body.user.isOperator === true;
        }
      }
    }
    const printedStill = (await server.agent().get(`/api/signup/${printedToken}`)).status;

    assert.deepEqual(
      { resend: [resent.status, resent.body.error?.code], becameOperator, printedLink: printedStill },
      { resend: [409, 'user.operators_from_shell'], becameOperator: false, printedLink: 200 },
    );
  });
});

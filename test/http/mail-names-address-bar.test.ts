// A name in platform mail may hold nothing a reader could follow as an address
// (docs/SECURITY.md, "Names in platform mail are plain text"). A browser's address bar
// reads more than an ASCII full stop as one (U+3002, U+FF61 and U+FF0E, by UTS #46) and
// opens an IPv4 address with a path: a company named so passed the name rules and the
// mail rule alike, and its Root Master could then have the platform mail the name, in the
// subject and body of an invitation, to any address. The rule (src/mail/link-like.ts) now
// asks the WHATWG URL parser, a browser's own, what it makes of each word.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { operatorAgent } from '../helpers/company-admin.ts';
import { invitationFrom } from '../helpers/invitation-mail.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let operator: Agent;
before(async () => {
  server = await startTestServer();
  operator = await operatorAgent(server);
});
after(() => server.close());

for (const [n, companyName] of [
  [1, 'secure-login\u3002example'],
  [2, '203.0.113.7/reset'],
] as const) {
  test(`a company named ${JSON.stringify(companyName)} is not shown in the invitation it has mailed to an outsider`, async () => {
    // What a browser makes of the name typed or pasted into its address bar.
    const host = new URL(`https://${companyName}`).host;
    assert.ok(host.includes('.'), 'a browser reads the name as a host');
    const mail = await invitationFrom(server, operator, companyName, n);
    for (const [part, body] of [['subject', mail.subject], ['text', mail.text], ['html', mail.html]] as const) {
      assert.ok(
        !body.includes(companyName),
        `the ${part} shows ${JSON.stringify(companyName)}, which a browser opens as https://${host}/ (expected the stand-in "a company"):\n${part === 'html' ? body.slice(body.indexOf('<body')) : body}`,
      );
    }
  });
}

// A live link token never reaches the request log, however the URL around it is spelled.
// A mangled copy of a mailed link, or a client probing with it, puts a stray character in
// the token's path segment or query value ('%', a bad escape, ',', ';', '!', '.json', an
// encoded space...), often in a URL no route matches, so the request never uses the token
// and it stays live for whoever reads the log. Three live tokens (Sign Up, password reset,
// email change) are sent in those spellings to matched and unmatched routes, by GET,
// OPTIONS, HEAD and POST; the log then holds no 16-character slice of any of them, and
// still shows ordinary paths as they were asked for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { companyWithRootMaster } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { ACME_REQUEST, approvedCompany, signedInOperator, STRONG_PASSWORD, tokenFromLink, tokenIn } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { rawRequest } from '../helpers/spellings.ts';

const hex = (char: string) => `%${char.charCodeAt(0).toString(16)}`;

/** The token with what a mangled copy or a probing client adds to it. */
const spellings = (t: string) => [
  `${t}%`, `${t}%zz`, `${t},`, `${t};x`, `${t}!`, `${t}.json`, `~${t}`, `${t}%20`, `${t.slice(0, 21)}%20${t.slice(21)}`, `${hex(t[0] as string)}${t.slice(1)}`, `'${t}'`,
];

/** Where it lands: its own routes, routes with public parameters and filters, and no route at all. */
const places = (s: string) => [
  `/signup/${s}`, `/api/signup/${s}`, `/reset-password/${s}`, `/api/password-reset/${s}`, `/confirm-email/${s}`,
  `/signup;${s}`, `/nothing/${s}`, `/oidc/auth/${s}`, `/api/company/users/${s}/role`,
  `/api/company/audit?status=${s}&limit=5`, `/oidc/auth?client_id=${s}&scope=openid%20${s}&redirect_uri=https%3A%2F%2Fapp.test%2F${s}`, `/login?tab=${s}`,
];

const METHODS = ['GET', 'OPTIONS', 'HEAD', 'POST'];

/** Three live tokens, none used yet: a Sign Up link, a password reset and an email change. */
async function liveTokens(server: TestServer) {
  const operator = (await signedInOperator(server)).agent;
  const company = await companyWithRootMaster(server, operator, 'Quiet Logs Ltd', 'root@quietlogs.test');
  const invited = await approvedCompany(server, operator, { ...ACME_REQUEST, companyName: 'Still Waiting Ltd', email: 'wait@still.test' });
  assert.equal((await server.agent().post('/api/login/forgot-password', { username: company.root.username, companyName: company.companyName })).status, 200);
  const resetMail = await server.mail.waitFor((m) => m.to.includes('root@quietlogs.test') && m.subject === 'Reset your Gatehouse password');
  assert.equal((await company.root.agent.post('/api/me/email', { email: 'new@quietlogs.test', password: STRONG_PASSWORD })).status, 200);
  const confirmMail = await server.mail.waitFor((m) => m.to.includes('new@quietlogs.test'));
  return { 'Sign Up': tokenFromLink(invited.link), 'password reset': tokenIn(resetMail.text, 'reset-password'), 'email change': tokenIn(confirmMail.text, 'confirm-email') };
}

for (const engine of await enginesUnderTest()) {
  test(`[${engine}] a live token with stray characters around it leaves no trace in the request log`, async () => {
    const lines: string[] = [];
    const server = await startTestServer({ engine, env: { GATEHOUSE_LOG_REQUESTS: 'true' }, logStream: { write: (line: string) => void lines.push(line) } });
    try {
      const tokens = await liveTokens(server);
      const before = lines.length;
      let sent = 0;
      for (const token of Object.values(tokens)) {
        for (const spelled of spellings(token)) {
          for (const url of places(spelled)) {
            const method = METHODS[sent++ % METHODS.length] as string;
            await rawRequest(server.baseUrl, method, url, method === 'POST' ? { 'content-type': 'application/json' } : { accept: 'text/html' }, method === 'POST' ? '{}' : undefined);
          }
        }
      }
      const ordinary = ['/oidc/.well-known/openid-configuration', '/api/me/security-keys', '/api/me/recovery-codes', '/no-such-page/transfer-root-master', '/api/company/audit?status=pending&limit=50'];
      for (const url of ordinary) await rawRequest(server.baseUrl, 'GET', url);

      // The tokens are still live: whoever read them in the log could use them.
      assert.equal((await server.agent().get(`/api/signup/${tokens['Sign Up']}`)).status, 200);
      assert.equal((await server.agent().get(`/api/password-reset/${tokens['password reset']}`)).status, 200);
      const incoming = lines.slice(before).filter((line) => JSON.parse(line).msg === 'incoming request');
      assert.ok(incoming.length >= sent, 'every request was logged');
      const logged = lines.map((line) => ({ line, plain: decodeURIComponent(line.replace(/%(?![0-9A-Fa-f]{2})/g, '%25')) }));
      const leaks = Object.entries(tokens).flatMap(([name, token]) =>
        Array.from({ length: token.length - 15 }, (_, at) => token.slice(at, at + 16))
          .flatMap((slice) => logged.filter(({ line, plain }) => line.includes(slice) || plain.includes(slice)))
          .map(({ line }) => `${name}: ${JSON.parse(line).req?.url ?? line}`),
      );
      assert.deepEqual([...new Set(leaks)], [], 'a live token, or 16 characters of one, in these log lines');

      const urls = lines.map((line) => JSON.parse(line).req?.url as string | undefined);
      for (const url of ordinary) assert.ok(urls.includes(url), `${url} is logged as asked for`);
      assert.equal((await server.agent().post('/api/me/email/confirm', { token: tokens['email change'] })).status, 200, 'the email-change token was live too');
    } finally {
      await server.close();
    }
  });
}

// No secret reaches a log. A whole journey runs against a server logging every request at
// info level into a captured stream: the first operator's link, a company's request,
// approval, Sign Up link, password and 2FA enrollment, a password reset and an email
// change by mailed links, then a module's code flow, refresh, userinfo, introspection and
// logout. Then the log is searched for every secret the journey used.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { firstOperatorSetup } from '../../src/companies/index.ts';
import type { Agent } from '../helpers/agent.ts';
import { approvedCompany, logIn, signUp, STRONG_PASSWORD, tokenFromLink } from '../helpers/journey.ts';
import { client, grantedModule, logInAgain, markTotpUsed, signInToModule, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { rawRequest } from '../helpers/spellings.ts';

const NEW_PASSWORD = 'Quartz-Lantern-87?';
const lines: string[] = [];
let server: TestServer;
/** Every secret the journey handled, by what it is. */
const secrets = new Map<string, string>();
const keep = (name: string, value: string | undefined) => {
  assert.ok(value && value.length >= 8, `${name} is a real secret`);
  secrets.set(name, value);
};
const keepCookies = (who: string, agent: Agent) => {
  for (const [name, value] of agent.cookies) if (value.length >= 16) keep(`${who} cookie ${name}`, value);
};
const page = (path: string) => rawRequest(server.baseUrl, 'GET', path, { 'sec-fetch-dest': 'document', accept: 'text/html' });
const linkToken = (text: string, path: string) => new RegExp(`/${path}/([A-Za-z0-9_-]{43})`).exec(text)?.[1];

before(async () => {
  server = await startTestServer({ realClock: true, env: { GATEHOUSE_LOG_REQUESTS: 'true' }, logStream: { write: (line: string) => void lines.push(line) } });
});
after(() => server.close());

test('a whole journey leaves no secret in the request log', async () => {
  // The first operator, through the link the CLI prints.
  const setup = await firstOperatorSetup(server.gatehouse.deps);
  assert.ok(setup);
  const operatorToken = tokenFromLink(setup.url);
  keep('first operator link token', operatorToken);
  assert.equal((await page(`/signup/${operatorToken}`)).status, 200);
  const operator = server.agent();
  assert.equal((await operator.get(`/api/signup/${operatorToken}`)).status, 200);
  assert.equal((await operator.post('/api/signup', { token: operatorToken, password: STRONG_PASSWORD, confirm: STRONG_PASSWORD })).status, 200);
  const { totpSecret: operatorTotp } = await logIn(server, operator, { username: setup.username, companyName: setup.companyName, password: STRONG_PASSWORD });
  markTotpUsed(operatorTotp);
  keep('operator TOTP secret', operatorTotp);
  keepCookies('operator', operator);

  // A company: request, approval, the Sign Up link from the welcome mail, 2FA enrollment.
  const request = { companyName: 'Quiet Logs Ltd', contactName: 'Lena Log', email: 'lena@quietlogs.test', phone: '+1 555 0199', note: '' };
  const company = await approvedCompany(server, operator, request);
  const signupToken = tokenFromLink(company.link);
  keep('Sign Up token', signupToken);
  // The link as a browser opens it, and as misspellings and copies would carry it.
  for (const path of [`/signup/${signupToken}`, `/%73ignup/${signupToken}`, `/signup/${signupToken}/`, `/signup/${signupToken}?from=${signupToken}`]) await page(path);
  assert.equal((await server.agent().get(`/api/signup/${signupToken}`)).status, 200);
  await rawRequest(server.baseUrl, 'GET', `/api/nothing/${signupToken}?token=${signupToken}`);
  await rawRequest(server.baseUrl, 'POST', `/api/company/users/${signupToken}/deactivate`, { 'content-type': 'application/json' }, '{}');
  await signUp(server, company.link);
  const agent = server.agent();
  const { totpSecret } = await logIn(server, agent, { username: company.username, companyName: request.companyName, password: STRONG_PASSWORD });
  markTotpUsed(totpSecret);
  keep('TOTP secret', totpSecret);
  keep('password', STRONG_PASSWORD);
  keepCookies('root', agent);
  const root: Person = { agent, username: company.username, companyId: company.companyId, companyName: request.companyName, password: STRONG_PASSWORD, totpSecret };

  // A password reset by the mailed link.
  assert.equal((await server.agent().post('/api/login/forgot-password', { username: root.username, companyName: root.companyName })).status, 200);
  const resetMail = await server.mail.waitFor((m) => m.to.includes(request.email) && m.subject === 'Reset your Gatehouse password');
  const resetToken = linkToken(resetMail.text, 'reset-password');
  keep('password-reset token', resetToken);
  assert.equal((await page(`/reset-password/${resetToken}`)).status, 200);
  assert.equal((await server.agent().get(`/api/password-reset/${resetToken}`)).status, 200);
  const reset = await server.agent().post('/api/password-reset', { token: resetToken, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
  assert.equal(reset.status, 200, JSON.stringify(reset.body));
  keep('new password', NEW_PASSWORD);
  root.password = NEW_PASSWORD;
  root.agent = server.agent();
  await logInAgain(server, root.agent, root);
  keepCookies('root after reset', root.agent);

  // An email change confirmed by the mailed link.
  const newEmail = 'lena.new@quietlogs.test';
  assert.equal((await root.agent.post('/api/me/email', { email: newEmail, password: NEW_PASSWORD })).status, 200);
  const confirmMail = await server.mail.waitFor((m) => m.to.includes(newEmail));
  const confirmToken = linkToken(confirmMail.text, 'confirm-email');
  keep('email-confirm token', confirmToken);
  assert.equal((await page(`/confirm-email/${confirmToken}`)).status, 200);
  assert.equal((await server.agent().post('/api/me/email/confirm', { token: confirmToken })).status, 200);

  // A module: code flow, refresh, userinfo, introspection, logout with an ID token hint.
  const module = await grantedModule(server, operator, root.companyId);
  keep('client secret', module.clientSecret ?? undefined);
  const signedIn = await signInToModule(module.config, root.agent);
  keep('authorization code', signedIn.callback.searchParams.get('code') ?? undefined);
  keep('state', signedIn.start.state);
  keep('nonce', signedIn.start.nonce);
  keep('PKCE verifier', signedIn.start.verifier);
  keep('access token', signedIn.tokens.access_token);
  keep('ID token', signedIn.tokens.id_token);
  keep('refresh token', signedIn.tokens.refresh_token);
  keepCookies('root at the provider', root.agent);
  const refreshed = await client.refreshTokenGrant(module.config, signedIn.tokens.refresh_token as string);
  keep('refreshed access token', refreshed.access_token);
  keep('refreshed refresh token', refreshed.refresh_token);
  await client.fetchUserInfo(module.config, refreshed.access_token, signedIn.claims.sub);
  await client.tokenIntrospection(module.config, refreshed.access_token);
  const logout = client.buildEndSessionUrl(module.config, { id_token_hint: signedIn.tokens.id_token as string, post_logout_redirect_uri: 'http://127.0.0.1:4999/bye', state: signedIn.start.state });
  await root.agent.get(logout.pathname + logout.search);
  // A client that sends its secret where it should not: in the query string.
  await rawRequest(server.baseUrl, 'GET', `/oidc/auth?client_id=x&client_secret=${module.clientSecret}&code=${signedIn.callback.searchParams.get('code')}`);

  const log = lines.join('');
  assert.ok(lines.length > 50, 'the requests were logged');
  assert.match(log, /"route":"\/api\/signup\/:token"/, 'the log names the matched route');
  assert.match(log, /"url":"\/signup\/\[redacted\]"/, 'and the URL without the token');
  const leaked = [...secrets].filter(([, value]) => log.includes(value)).map(([name]) => name);
  assert.deepEqual(leaked, [], 'secrets found in the log');
  // Nor in the URL-encoded form a query string may carry them.
  const encodedLeaks = [...secrets].filter(([, value]) => encodeURIComponent(value) !== value && log.includes(encodeURIComponent(value))).map(([name]) => name);
  assert.deepEqual(encodedLeaks, [], 'encoded secrets found in the log');
});

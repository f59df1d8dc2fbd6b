// Approval and the welcome email, as the new Root Master receives it over SMTP: the
// right sender and subject, a Sign Up link from the public URL only, escaped names, a
// resend that revokes the old link, expiry, and no way to inject mail headers.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { ACME_REQUEST, approvedCompany, signedInOperator, signUp, signUpLinkIn, tokenFromLink } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const LINK_TTL_HOURS = 2;

/** A request with headers fetch would not let us forge (Host). */
function rawPost(url: string, path: string, headers: Record<string, string>, body: unknown) {
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request(new URL(path, url), { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('approval and the welcome email', () => {
  let server: TestServer;
  let operator: Agent;
  before(async () => {
    server = await startTestServer({ env: { GATEHOUSE_LINK_TTL_HOURS: String(LINK_TTL_HOURS) } });
    operator = (await signedInOperator(server)).agent;
  });
  after(() => server.close());

  const submit = async (companyName: string, email: string, extra: Record<string, string> = {}) => {
    const created = await server.agent().post('/api/account-requests', { ...ACME_REQUEST, companyName, email, ...extra });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.id as string;
  };

  test('approval creates the company and its Root Master and mails a Sign Up link from the noreply address', async () => {
    const { mail, link, username, companyId } = await approvedCompany(server, operator);
    assert.equal(mail.subject, 'Welcome to Gatehouse');
    assert.equal(mail.parsed.from?.value[0]?.address, 'noreply@gatehouse.test');
    assert.equal(mail.parsed.to && !Array.isArray(mail.parsed.to) ? mail.parsed.to.value.map((a) => a.address).join() : '', ACME_REQUEST.email);
    assert.match(mail.raw, /Content-Type: text\/plain/i);
    assert.match(mail.raw, /Content-Type: text\/html/i);
    assert.ok(mail.text.includes(ACME_REQUEST.companyName) && mail.text.includes(username));
    assert.ok(mail.html.includes(ACME_REQUEST.companyName) && mail.html.includes(username));
    assert.match(mail.html, new RegExp(`<a href="${link.replace(/[.?]/g, '\\$&')}"[^>]*>Sign Up</a>`));
    assert.ok(link.startsWith(`${server.baseUrl}/signup/`));

    const companies = await operator.get('/api/operator/companies');
    const company = (companies.body.companies as any[]).find((c) => c.id === companyId);
    assert.equal(company.name, ACME_REQUEST.companyName);
    assert.equal(company.status, 'active');
    assert.deepEqual(company.rootMaster, { username, email: ACME_REQUEST.email, signedUp: false, enrolled: false });
    const requests = await operator.get('/api/operator/requests?status=approved');
    assert.ok((requests.body.requests as any[]).some((r) => r.companyId === companyId && r.status === 'approved'));
  });

  test('the link comes from the public URL even when the approval carried a forged Host', async () => {
    const id = await submit('Forged Host Ltd', 'owner@forged.test');
    const answer = await rawPost(server.baseUrl, `/api/operator/requests/${id}/approve`, {
      host: 'evil.example:8443',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
      origin: server.baseUrl,
      cookie: operator.cookieHeader(),
    }, {});
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const mail = await server.mail.waitFor((m) => m.to.includes('owner@forged.test'));
    assert.ok(signUpLinkIn(mail.text).startsWith(`${server.baseUrl}/signup/`));
    assert.ok(!mail.raw.includes('evil.example'), 'no forged host anywhere in the mail');
  });

  test('HTML in the company name is escaped in the HTML part and kept readable in the text part', async () => {
    const name = '<script>alert(1)</script> & "Sons"';
    const id = await submit(name, 'root@script.test');
    const approved = await operator.post(`/api/operator/requests/${id}/approve`, { username: 'obrien-admin' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const mail = await server.mail.waitFor((m) => m.to.includes('root@script.test'));
    assert.ok(!/<script/i.test(mail.html), 'no script element in the HTML part');
    assert.ok(mail.html.includes('&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;Sons&#34;'));
    assert.ok(mail.html.includes('obrien-admin'));
    assert.ok(mail.text.includes(name) && mail.text.includes('obrien-admin'));
    const page = await server.agent().get(`/api/signup/${tokenFromLink(signUpLinkIn(mail.text))}`);
    assert.equal(page.body.companyName, name, 'the Sign Up page gets the name as data');
  });

  test('names cannot inject mail headers or recipients', async () => {
    for (const field of ['companyName', 'contactName']) {
      const injected = await server.agent().post('/api/account-requests', {
        ...ACME_REQUEST,
        companyName: 'Header Test',
        email: 'victim@inject.test',
        [field]: 'Evil\r\nBcc: attacker@evil.test\r\nSubject: Reset your password',
      });
      assert.equal(injected.status, 400, field);
      assert.ok(injected.body.error.fields[field]);
    }
    const badEmail = await server.agent().post('/api/account-requests', { ...ACME_REQUEST, companyName: 'Header Test', email: 'victim@inject.test\r\nBcc: attacker@evil.test' });
    assert.equal(badEmail.status, 400);
    assert.ok(badEmail.body.error.fields.email);

    // What does get through (address-like text in names) stays text.
    const id = await submit('Evil <attacker@evil.test>, Bcc: attacker@evil.test', 'victim@inject.test', {
      contactName: '"Attacker" <attacker@evil.test>',
    });
    assert.equal((await operator.post(`/api/operator/requests/${id}/approve`)).status, 200);
    const mail = await server.mail.waitFor((m) => m.to.includes('victim@inject.test'));
    assert.equal(mail.subject, 'Welcome to Gatehouse');
    assert.deepEqual(Array.isArray(mail.parsed.to) ? [] : mail.parsed.to?.value.map((a) => a.address), ['victim@inject.test']);
    assert.equal(mail.parsed.bcc, undefined);
    assert.equal(mail.parsed.cc, undefined);
    const headerBlock = mail.raw.slice(0, mail.raw.search(/\r?\n\r?\n/));
    assert.ok(!headerBlock.includes('attacker'), 'no header mentions the attacker');
  });

  test('a resend revokes the earlier link; a signed-up company gets no resend', async () => {
    const id = await submit('Resend Works', 'first@resend.test');
    const approved = await operator.post(`/api/operator/requests/${id}/approve`);
    const first = signUpLinkIn((await server.mail.waitFor((m) => m.to.includes('first@resend.test'))).text);
    const resent = await operator.post(`/api/operator/companies/${approved.body.companyId}/resend-welcome`);
    assert.equal(resent.status, 200);
    const mails = () => server.mail.messages.filter((m) => m.to.includes('first@resend.test'));
    await server.mail.waitFor(() => mails().length === 2);
    const second = signUpLinkIn(mails()[1]!.text);
    assert.notEqual(second, first);

    const old = await server.agent().get(`/api/signup/${tokenFromLink(first)}`);
    assert.equal(old.status, 410);
    assert.equal(old.body.error.code, 'link.invalid');
    const oldSubmit = await server.agent().post('/api/signup', { token: tokenFromLink(first), password: 'Velvet-Harbor-42!', confirm: 'Velvet-Harbor-42!' });
    assert.equal(oldSubmit.status, 410);
    assert.equal((await server.agent().get(`/api/signup/${tokenFromLink(second)}`)).status, 200);

    await signUp(server, second);
    const again = await operator.post(`/api/operator/companies/${approved.body.companyId}/resend-welcome`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'company.already_signed_up');
    const missing = await operator.post('/api/operator/companies/00000000-0000-4000-8000-000000000000/resend-welcome');
    assert.equal(missing.status, 404);
  });

  test('rejection records the reason, creates no company and sends no mail', async () => {
    const id = await submit('Rejected Ventures', 'nobody@rejected.test');
    const rejected = await operator.post(`/api/operator/requests/${id}/reject`, { reason: 'Not a managed service provider' });
    assert.equal(rejected.status, 200);
    const list = await operator.get('/api/operator/requests?status=rejected');
    const row = (list.body.requests as any[]).find((r) => r.id === id);
    assert.equal(row.rejectReason, 'Not a managed service provider');
    assert.equal(row.companyId, null);
    const companies = await operator.get('/api/operator/companies');
    assert.ok(!(companies.body.companies as any[]).some((c) => c.name === 'Rejected Ventures'));
    const outbox = await operator.get('/api/operator/mail');
    assert.ok(!(outbox.body.messages as any[]).some((m) => m.to === 'nobody@rejected.test'), 'nothing queued');
    const approveAfter = await operator.post(`/api/operator/requests/${id}/approve`);
    assert.equal(approveAfter.status, 409);
    assert.equal(approveAfter.body.error.code, 'request.not_pending');
  });

  // Last: it moves the clock past the operator's session.
  test(`the link expires after GATEHOUSE_LINK_TTL_HOURS (${LINK_TTL_HOURS} h)`, async () => {
    const id = await submit('Expiring Link Co', 'late@expiry.test');
    const approvedAt = server.clock();
    await operator.post(`/api/operator/requests/${id}/approve`);
    const token = tokenFromLink(signUpLinkIn((await server.mail.waitFor((m) => m.to.includes('late@expiry.test'))).text));
    const shown = await server.agent().get(`/api/signup/${token}`);
    assert.equal(shown.body.expiresAt, new Date(approvedAt + LINK_TTL_HOURS * 3_600_000).toISOString());

    server.clock.advance(LINK_TTL_HOURS * 3_600_000 - 1000);
    assert.equal((await server.agent().get(`/api/signup/${token}`)).status, 200, 'still valid a second before');
    server.clock.advance(1000);
    const expired = await server.agent().get(`/api/signup/${token}`);
    assert.equal(expired.status, 410);
    const used = await server.agent().post('/api/signup', { token, password: 'Velvet-Harbor-42!', confirm: 'Velvet-Harbor-42!' });
    assert.equal(used.status, 410);
    assert.deepEqual(used.body, expired.body, 'one message for every dead link');
  });
});

// A SAML identity provider in the test's hands: a key and certificate made with openssl,
// and responses built and signed here with xml-crypto (the library node-saml verifies
// with), so tests can forge, tamper, replay and expire them at will.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';
import type { Agent } from './agent.ts';

export interface TestIdp {
  entityId: string;
  ssoUrl: string;
  privateKey: string;
  certificate: string;
}

export function makeIdp(entityId = 'https://idp.example.test/saml'): TestIdp {
  const dir = mkdtempSync(path.join(tmpdir(), 'gh-idp-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '30', '-subj', '/CN=Test IdP'], { stdio: 'ignore' });
    return { entityId, ssoUrl: 'https://idp.example.test/sso', privateKey: readFileSync(`${dir}/key.pem`, 'utf8'), certificate: readFileSync(`${dir}/cert.pem`, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The AuthnRequest ID in a provider URL Gatehouse redirected to (HTTP-Redirect binding). */
export function requestIdFrom(redirectTo: string): string {
  const samlRequest = new URL(redirectTo).searchParams.get('SAMLRequest');
  if (!samlRequest) throw new Error(`no SAMLRequest in ${redirectTo}`);
  const xml = inflateRawSync(Buffer.from(samlRequest, 'base64')).toString('utf8');
  const id = /\sID="([^"]+)"/.exec(xml)?.[1];
  if (!id) throw new Error(`no ID in ${xml}`);
  return id;
}

export interface AssertionFacts {
  requestId: string;
  acsUrl: string;
  audience: string;
  issuer: string;
  nameId: string;
  now: number;
  /**
   * An attribute with a list has one AttributeValue per item (a user's groups, say). As
   * pairs, a name may come in several Attribute elements, as some providers send them.
   */
  attributes?: Record<string, string | string[]> | Array<[string, string | string[]]>;
  /** A NotBefore on the bearer subject confirmation (the profile says it has none). */
  confirmNotBefore?: number;
  /** Validity after `now`; negative for an expired assertion. */
  validForMs?: number;
  assertionId?: string;
  authnContext?: string;
  destination?: string;
  recipient?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

export function assertionXml(f: AssertionFacts): string {
  const until = iso(f.now + (f.validForMs ?? 5 * 60_000));
  const attributes = (Array.isArray(f.attributes) ? f.attributes : Object.entries(f.attributes ?? {}))
    .map(([name, value]) => {
      const values = [value].flat().map((one) => `<saml:AttributeValue>${escape(one)}</saml:AttributeValue>`).join('');
      return `<saml:Attribute Name="${escape(name)}">${values}</saml:Attribute>`;
    })
    .join('');
  return (
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${f.assertionId ?? `_a${Math.random().toString(16).slice(2)}${Date.now()}`}" Version="2.0" IssueInstant="${iso(f.now)}">` +
    `<saml:Issuer>${escape(f.issuer)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${f.nameId}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${f.requestId}" Recipient="${escape(f.recipient ?? f.acsUrl)}"${f.confirmNotBefore === undefined ? '' : ` NotBefore="${iso(f.confirmNotBefore)}"`} NotOnOrAfter="${until}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(f.now - 60_000)}" NotOnOrAfter="${until}"><saml:AudienceRestriction><saml:Audience>${escape(f.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(f.now)}" SessionIndex="_s1"><saml:AuthnContext><saml:AuthnContextClassRef>${f.authnContext ?? 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '') +
    `</saml:Assertion>`
  );
}

/** Signs the (first) Assertion, enveloped, with the signature after its Issuer. */
export function signAssertion(xml: string, idp: Pick<TestIdp, 'privateKey' | 'certificate'>): string {
  const sig = new SignedXml({
    privateKey: idp.privateKey,
    publicCert: idp.certificate,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: "//*[local-name(.)='Assertion']",
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(xml, { location: { reference: "//*[local-name(.)='Issuer']", action: 'after' } });
  return sig.getSignedXml();
}

export function responseXml(assertion: string, f: Pick<AssertionFacts, 'requestId' | 'acsUrl' | 'issuer' | 'now' | 'destination'>): string {
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${Date.now()}${Math.random().toString(16).slice(2)}" Version="2.0" IssueInstant="${iso(f.now)}" Destination="${escape(f.destination ?? f.acsUrl)}" InResponseTo="${f.requestId}">` +
    `<saml:Issuer>${escape(f.issuer)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    assertion +
    `</samlp:Response>`
  );
}

/** A correctly signed response for `facts`. */
export function signedResponse(idp: TestIdp, facts: AssertionFacts): string {
  return responseXml(signAssertion(assertionXml(facts), idp), facts);
}

/**
 * Brings a response back as a browser does: the IdP's auto-submitted form posts it to the
 * ACS cross-site, with none of Gatehouse's cookies; the page Gatehouse answers with posts
 * it on to /continue from Gatehouse's own origin, with `browser`'s cookies (none, when the
 * answer comes back through a stranger's browser). The answer of that second post.
 */
export async function postToAcs(acsUrl: string, xml: string, browser?: Agent, origin = 'https://idp.example.test') {
  const first = await fetch(acsUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams({ SAMLResponse: Buffer.from(xml).toString('base64') }).toString(),
  });
  const page = await first.text();
  if (first.status !== 200) return { status: first.status, location: first.headers.get('location') };
  const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
  const value = /name="SAMLResponse" value="([^"]*)"/.exec(page)?.[1];
  assert.ok(action && value !== undefined, `the ACS answers with the page that posts the answer on: ${page}`);
  const unescape = (text: string) => text.replace(/&#(\d+);/g, (_match, code: string) => String.fromCharCode(Number(code)));
  const body = new URLSearchParams({ SAMLResponse: unescape(value) }).toString();
  const next = new URL(unescape(action), acsUrl);
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const second = browser
    ? await browser.post(next.pathname, body, form)
    : await fetch(next, { method: 'POST', redirect: 'manual', headers: { ...form, origin: next.origin }, body }).then(async (response) => (await response.arrayBuffer(), response));
  return { status: second.status, location: second.headers.get('location') };
}

/**
 * `idp` added as a SAML provider of the company whose Root Master is on `root` (the
 * username from the NameID), tried with a Test sign-in, the Root Master kept as
 * break-glass, the company's mode set and the provider switched on: its id and the
 * service provider's URLs the answers go to.
 */
export async function switchedOnSamlProvider(
  root: Agent,
  rootId: string,
  idp: TestIdp,
  options: { trustProviderMfa: boolean; mode?: 'sso-only' | 'sso-plus-password'; now: () => number },
): Promise<{ providerId: string; sp: { entityId: string; acsUrl: string } }> {
  const sp = (await root.get('/api/company/sso')).body.serviceProvider as { entityId: string; acsUrl: string };
  const added = await root.post('/api/company/sso/providers', {
    kind: 'saml', name: 'Test IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: options.trustProviderMfa,
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const providerId = added.body.provider.id as string;
  const tested = await root.post(`/api/company/sso/providers/${providerId}/test`);
  const facts = { requestId: requestIdFrom(tested.body.redirectTo), acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: 'tester', now: options.now() };
  assert.equal((await postToAcs(sp.acsUrl, signedResponse(idp, facts), root)).status, 303, 'the Test sign-in is answered');
  const settings = await root.post('/api/company/sso', { ...(options.mode ? { mode: options.mode } : {}), breakGlassUserIds: [rootId] });
  assert.equal(settings.status, 200, JSON.stringify(settings.body));
  const on = await root.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true });
  assert.equal(on.status, 200, JSON.stringify(on.body));
  return { providerId, sp };
}

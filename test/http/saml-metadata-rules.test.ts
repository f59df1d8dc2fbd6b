// A SAML provider's metadata XML fills in the Entity ID, the SSO URL and the certificates,
// and what it fills in is held to the rules those fields have when typed. The XML as sent
// is held to fileText (no control characters), but the parser decodes character
// references afterwards (&#0; &#x1; &#x85; &#9; &#10;), and an attribute has no length
// limit of its own: such metadata is refused with the 400 a typed value gets, naming where
// in the metadata the value was, and nothing is saved. A provider URL, typed, from
// metadata or from a discovery document, never holds spaces, tabs or line breaks, which
// the URL parser would otherwise drop without a word.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, dbOf, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { makeIdp, type TestIdp } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ENTITY = 'https://idp.example.test/saml';
const SSO = 'https://idp.example.test/sso';
const certBody = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');

/** Metadata as an identity provider offers it, each value written into the XML as given (character references and all). */
const metadata = (idp: TestIdp, { entityId = ENTITY, location = SSO, certificate = certBody(idp.certificate) } = {}) =>
  `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">` +
  `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>` +
  `<ds:X509Certificate>${certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
  `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${location}"/></md:IDPSSODescriptor></md:EntityDescriptor>`;

const NOT_ALLOWED = 'contains characters that are not allowed';

for (const engine of await enginesUnderTest()) describe(`values read from SAML metadata keep the rules of the fields they fill (${engine})`, () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: TestIdp;
  let discovery: ReturnType<typeof createServer>;
  let issuer: string;
  const endpoints = new Map<string, Record<string, string>>();
  before(async () => {
    // An OpenID Connect provider whose discovery document at /<tenant>/ has endpoints replaced.
    discovery = createServer((req, res) => {
      const tenant = /^\/(\w+)\/\.well-known\/openid-configuration$/.exec(req.url ?? '')?.[1];
      if (!tenant) return void res.writeHead(404).end();
      const base = `${issuer}/${tenant}`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          issuer: base, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks`,
          response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
          ...endpoints.get(tenant),
        }),
      );
    });
    await new Promise<void>((resolve) => discovery.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(discovery.address() as AddressInfo).port}`;
    server = await startTestServer({ engine });
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Metadata', 'root@acme-metadata.test');
    idp = makeIdp();
  });
  after(async () => {
    await server.close();
    await new Promise((resolve) => discovery.close(resolve));
  });

  const providers = () => dbOf(server).selectFrom('sso_providers').select(['saml_entity_id', 'saml_sso_url']).execute();
  const addSaml = (fields: Record<string, unknown>) =>
    company.root.agent.post('/api/company/sso/providers', { kind: 'saml', name: 'Metadata IdP', usernameAttribute: 'NameID', trustProviderMfa: false, ...fields });

  /** The provider is refused with a field message under `field`, and nothing is saved. */
  async function refused(fields: Record<string, unknown>, field: string, message: RegExp, why: string) {
    const before = (await providers()).length;
    const answer = await addSaml(fields);
    assert.equal(answer.status, 400, `${why}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.error.code, 'request.invalid', why);
    assert.match(answer.body.error.fields?.[field] ?? '', message, `${why}: ${JSON.stringify(answer.body.error.fields)}`);
    assert.equal((await providers()).length, before, `${why}: nothing saved`);
  }

  test('an entityID holding a control character by reference, or longer than the Entity ID field allows, is refused', async () => {
    for (const [why, entityId, message] of [
      ['SOH and NEL', `${ENTITY}&#x1;&#x85;`, NOT_ALLOWED],
      ['NUL', `${ENTITY}&#0;`, NOT_ALLOWED],
      ['DEL', `${ENTITY}&#127;`, NOT_ALLOWED],
      ['a C1 control', `${ENTITY}&#x9B;x`, NOT_ALLOWED],
      ['a tab inside', `https://idp.example.test/&#9;saml`, NOT_ALLOWED],
      ['a line break inside', `https://idp.example.test/saml&#10;other`, NOT_ALLOWED],
      ['3,000 characters', `${ENTITY}/${'a'.repeat(3000)}`, 'can have at most 1000 characters'],
      ['1,001 characters', `${ENTITY}/${'a'.repeat(1000 - ENTITY.length)}`, 'can have at most 1000 characters'],
    ] as const) {
      await refused({ metadataXml: metadata(idp, { entityId }) }, 'metadataXml', new RegExp(`^The metadata's entityID: Entity ID ${message}`), why);
    }
  });

  test('a SingleSignOnService Location holding a control character, tab or line break, or too long, is refused', async () => {
    for (const [why, location, message] of [
      ['a tab before and a line break inside', `&#9;${SSO}&#10;x`, NOT_ALLOWED],
      ['a carriage return inside', `https://idp.example&#13;.test/sso`, NOT_ALLOWED],
      ['a tab in the host', `https://idp.exa&#9;mple.test/sso`, NOT_ALLOWED],
      ['NUL', `${SSO}&#0;`, NOT_ALLOWED],
      ['NEL', `${SSO}&#x85;`, NOT_ALLOWED],
      ['2,001 characters', `${SSO}/${'a'.repeat(2000 - SSO.length)}`, 'can have at most 2000 characters'],
    ] as const) {
      await refused({ metadataXml: metadata(idp, { location }) }, 'metadataXml', new RegExp(`^The metadata's SingleSignOnService Location: SSO URL ${message}`), why);
    }
    // The SSO URL's rule, after the text rule: a full URL, and https.
    await refused({ metadataXml: metadata(idp, { location: 'idp.example.test/sso' }) }, 'metadataXml', /^The metadata's SingleSignOnService Location: SSO URL must be a full URL/, 'not a URL');
    await refused({ metadataXml: metadata(idp, { location: 'http://idp.example.test/sso' }) }, 'metadataXml', /^The metadata's SingleSignOnService Location: SSO URL must use https/, 'plain http');
    await refused({ metadataXml: metadata(idp, { location: 'https://idp.example.test/s so' }) }, 'metadataXml', /^The metadata's SingleSignOnService Location: SSO URL must not contain spaces/, 'a space inside');
  });

  test('a certificate holding a control character by reference, or too long, is refused', async () => {
    const body = certBody(idp.certificate);
    for (const [why, certificate, message] of [
      ['SOH', `${body.slice(0, 40)}&#x1;${body.slice(40)}`, `A certificate ${NOT_ALLOWED}`],
      ['NUL', `${body}&#0;`, `A certificate ${NOT_ALLOWED}`],
      ['over 20,000 characters', `${body}${'\n'.repeat(20_001)}`, 'A certificate can have at most 20,000 characters'],
    ] as const) {
      await refused({ metadataXml: metadata(idp, { certificate }) }, 'metadataXml', new RegExp(`^The metadata's X509Certificate: ${message}`), why);
    }
    for (const [why, certificate] of [['not base64', `${body}!`], ['base64 but no certificate', 'A'.repeat(400)]] as const) {
      await refused({ metadataXml: metadata(idp, { certificate }) }, 'metadataXml', /^The metadata's X509Certificate must be a PEM or base64 X.509 certificate/, why);
    }
    await refused({ entityId: ENTITY, ssoUrl: SSO, certificates: ['A'.repeat(400)] }, 'certificates', /^Each certificate must be a PEM or base64 X.509 certificate/, 'typed, base64 but no certificate');
  });

  // AD FS and Shibboleth metadata listing many claims runs past 64 KiB, the body most
  // routes read; the providers' routes read what their fields take at the caps.
  test('metadata up to the 500,000 characters the field takes is saved; past it the field says so, not a bare 413', async () => {
    const offered = (count: number) =>
      Array.from({ length: count }, (_, i) => `\n  <saml:Attribute xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" Name="http://schemas.example.test/claims/claim-${i}" FriendlyName="Claim ${i}"/>`).join('');
    const withClaims = (count: number) => metadata(idp).replace('</md:IDPSSODescriptor>', `${offered(count)}</md:IDPSSODescriptor>`);
    const large = withClaims(3200);
    assert.ok(large.length > 400_000 && large.length <= 500_000, `${large.length} characters`);
    const added = await addSaml({ name: 'Claims-heavy IdP', metadataXml: large });
    assert.equal(added.status, 201, JSON.stringify(added.body).slice(0, 300));
    assert.equal(added.body.provider.saml.entityId, ENTITY);
    await refused({ metadataXml: withClaims(4000) }, 'metadataXml', /^The metadata can have at most 500,000 characters/, 'over the cap');
  });

  test('metadata is read as the fields are typed: trimmed, and within the limits it is saved', async () => {
    const entityId = `${ENTITY}/${'a'.repeat(999 - ENTITY.length)}`;
    const added = await addSaml({ name: 'Trimmed IdP', metadataXml: metadata(idp, { entityId: ` ${entityId}&#9;`, location: `&#9;&#10;${SSO} ` }) });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.provider.saml.entityId, entityId);
    assert.equal(added.body.provider.saml.ssoUrl, SSO);
    const row = await dbOf(server).selectFrom('sso_providers').select(['saml_entity_id', 'saml_sso_url']).where('id', '=', added.body.provider.id).executeTakeFirstOrThrow();
    assert.deepEqual({ ...row }, { saml_entity_id: entityId, saml_sso_url: SSO });
  });

  test('typed values with the same characters are refused with the same message, under their own field', async () => {
    const typed = { entityId: ENTITY, ssoUrl: SSO, certificates: [idp.certificate] };
    await refused({ ...typed, entityId: `${ENTITY}\u0085` }, 'entityId', new RegExp(`^Entity ID ${NOT_ALLOWED}`), 'typed Entity ID with NEL');
    for (const ssoUrl of [`${SSO}\tx`, `https://idp.example.test/s\nso`, `https://idp.example.test/s\rso`]) {
      await refused({ ...typed, ssoUrl }, 'ssoUrl', new RegExp(`^SSO URL ${NOT_ALLOWED}`), `typed SSO URL ${JSON.stringify(ssoUrl)}`);
    }
    await refused({ ...typed, ssoUrl: 'https://idp.example.test/s so' }, 'ssoUrl', /^SSO URL must not contain spaces, line breaks or control characters/, 'typed SSO URL with a space');
  });

  test('a discovery document naming an endpoint with a space, tab or line break is refused when an OpenID Connect provider is added', async () => {
    for (const [tenant, replaced] of [
      ['tab', { authorization_endpoint: `${issuer}/tab/author\tize` }],
      ['newline', { token_endpoint: `${issuer}/newline/to\nken` }],
      ['cr', { jwks_uri: `\r${issuer}/cr/jwks` }],
      ['space', { authorization_endpoint: `${issuer}/space/authorize ` }],
    ] as const) {
      endpoints.set(tenant, replaced);
      const added = await company.root.agent.post('/api/company/sso/providers', {
        kind: 'oidc', name: `Provider ${tenant}`, issuer: `${issuer}/${tenant}`, clientId: 'gatehouse', clientSecret: 'secret', usernameAttribute: 'preferred_username', trustProviderMfa: false,
      });
      assert.equal(added.status, 400, `${tenant}: ${JSON.stringify(added.body)}`);
      assert.equal(added.body.error.code, 'sso.discovery_failed', tenant);
      assert.match(added.body.error.fields.issuer, /that must not contain spaces, line breaks or control characters/, tenant);
    }
  });
});

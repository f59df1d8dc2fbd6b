import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { GatehouseError } from '../errors.ts';
import { parseIdpMetadata } from './metadata.ts';

function certificateBody(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gh-md-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/k`, '-out', `${dir}/c`, '-days', '1', '-subj', '/CN=md'], { stdio: 'ignore' });
    return readFileSync(`${dir}/c`, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const metadata = (certs: string[], bindings = ['HTTP-Redirect', 'HTTP-POST']) => `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.acme.test/saml">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    ${certs.map((c, i) => `<md:KeyDescriptor${i === 0 ? ' use="signing"' : ''}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`).join('')}
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certs[0]}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    ${bindings.map((b) => `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${b}" Location="https://idp.acme.test/sso/${b}"/>`).join('')}
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;

test('metadata gives the entity ID, the HTTP-Redirect SSO URL and up to two signing certificates', async () => {
  const [a, b, c] = [certificateBody(), certificateBody(), certificateBody()];
  const idp = await parseIdpMetadata(metadata([a, b, c]));
  assert.equal(idp.entityId, 'https://idp.acme.test/saml');
  assert.equal(idp.ssoUrl, 'https://idp.acme.test/sso/HTTP-Redirect');
  assert.equal(idp.certificates.length, 2);
  assert.match(idp.certificates[0] as string, /^-----BEGIN CERTIFICATE-----\n/);
});

test('metadata without a redirect binding, a signing certificate, or well-formed XML is refused', async () => {
  const refused = (xml: string) => assert.rejects(parseIdpMetadata(xml), (e: unknown) => e instanceof GatehouseError && e.code === 'sso.metadata_invalid');
  await refused(metadata([certificateBody()], ['HTTP-POST']));
  await refused(metadata([]));
  await refused('<md:EntityDescriptor');
  await refused('<html><body>not metadata</body></html>');
});

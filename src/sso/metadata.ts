// Reading a SAML identity provider's metadata XML (what Entra ID, Okta, Google and
// SimpleSAMLphp offer to download) into the three things Gatehouse needs: its entity ID,
// its single sign-on URL for the HTTP-Redirect binding, and its signing certificates. The
// XML parser loads with the first metadata read, as the rest of SAML does (saml.ts).
import { GatehouseError } from '../errors.ts';
import { onFirstUse } from '../shared/on-first-use.ts';

type Element = ReturnType<Document['createElement']>;
const xmldom = onFirstUse(() => import('@xmldom/xmldom'));

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
export const MAX_CERTIFICATES = 2;

export interface IdpSettings {
  entityId: string;
  ssoUrl: string;
  certificates: string[];
}

function refuse(reason: string): never {
  throw new GatehouseError('sso.metadata_invalid', { fields: { metadataXml: `The metadata XML ${reason}.` } });
}

/** A base64 certificate body (as in metadata) or a PEM, as one PEM. */
export function toPem(certificate: string): string {
  const body = certificate
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+=*$/.test(body) || body.length < 100) {
    throw new GatehouseError('request.invalid', { fields: { certificates: 'Each certificate must be a PEM or base64 X.509 certificate.' } });
  }
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function children(parent: Element, ns: string, name: string): Element[] {
  return Array.from(parent.getElementsByTagNameNS(ns, name) as unknown as Iterable<Element>);
}

export async function parseIdpMetadata(xml: string): Promise<IdpSettings> {
  const { DOMParser } = await xmldom();
  const errors: string[] = [];
  const doc = new DOMParser({ errorHandler: { error: (message: unknown) => void errors.push(String(message)), fatalError: (message: unknown) => void errors.push(String(message)) } }).parseFromString(xml, 'text/xml');
  if (errors.length > 0 || !doc.documentElement) refuse('is not well-formed XML');
  if (/<!DOCTYPE/i.test(xml)) refuse('must not contain a DOCTYPE');
  const idp = children(doc.documentElement as unknown as Element, MD, 'IDPSSODescriptor')[0];
  if (!idp) refuse('has no IDPSSODescriptor (is it the provider’s metadata, not Gatehouse’s?)');
  const entity = idp.parentNode as Element | null;
  const entityId = entity?.getAttribute('entityID') ?? '';
  if (!entityId) refuse('has no entityID');
  const sso = children(idp, MD, 'SingleSignOnService').find((e) => e.getAttribute('Binding') === REDIRECT_BINDING);
  const ssoUrl = sso?.getAttribute('Location') ?? '';
  if (!ssoUrl) refuse('has no SingleSignOnService with the HTTP-Redirect binding');
  const certificates = children(idp, MD, 'KeyDescriptor')
    .filter((key) => (key.getAttribute('use') || 'signing') === 'signing') // no "use": for both
    .flatMap((key) => children(key, DS, 'X509Certificate').map((c) => c.textContent ?? ''))
    .filter(Boolean);
  if (certificates.length === 0) refuse('has no signing certificate');
  const unique = [...new Set(certificates.map(toPem))];
  return { entityId, ssoUrl, certificates: unique.slice(0, MAX_CERTIFICATES) };
}

// Reading a SAML identity provider's metadata XML (what Entra ID, Okta, Google and
// SimpleSAMLphp offer to download) into the three things Gatehouse needs: its entity ID,
// its single sign-on URL for the HTTP-Redirect binding, and its signing certificates. The
// XML parser loads with the first metadata read, as the rest of SAML does (saml.ts).
import type { z } from 'zod';
import { samlProviderBody } from '../contract/sso.ts';
import { describeCertificate } from '../crypto/index.ts';
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

/**
 * A base64 certificate body (as in metadata) or a PEM, as one PEM that reads as an X.509
 * certificate; refused under `field`, its message starting with `label`.
 */
export function toPem(certificate: string, field = 'certificates', label = 'Each certificate'): string {
  const body = certificate
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  const lines = body.match(/.{1,64}/g) ?? [];
  const pem = `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
  if (!/^[A-Za-z0-9+/]+=*$/.test(body) || body.length < 100 || !describeCertificate(pem)) {
    throw new GatehouseError('request.invalid', { fields: { [field]: `${label} must be a PEM or base64 X.509 certificate.` } });
  }
  return pem;
}

/**
 * A value read from the metadata, held to the rule of the field it fills when typed. The
 * XML as sent is held to fileText, but the parser decodes character references after
 * that (&#0; &#x1; &#x85;), and an attribute has no length limit of its own; refused as
 * a typed value is (request.invalid), under metadataXml, naming where it was found.
 */
function asTyped<T extends z.ZodType>(rule: T, value: string, where: string): z.output<T> {
  const result = rule.safeParse(value);
  if (result.success) return result.data;
  throw new GatehouseError('request.invalid', { fields: { metadataXml: `The metadata's ${where}: ${result.error.issues[0]?.message}` } });
}
const typed = samlProviderBody.shape;

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
  const entityId = asTyped(typed.entityId.unwrap(), entity?.getAttribute('entityID') || refuse('has no entityID'), 'entityID');
  const sso = children(idp, MD, 'SingleSignOnService').find((e) => e.getAttribute('Binding') === REDIRECT_BINDING);
  const location = sso?.getAttribute('Location') || refuse('has no SingleSignOnService with the HTTP-Redirect binding');
  const ssoUrl = asTyped(typed.ssoUrl.unwrap(), location, 'SingleSignOnService Location');
  const certificates = children(idp, MD, 'KeyDescriptor')
    .filter((key) => (key.getAttribute('use') || 'signing') === 'signing') // no "use": for both
    .flatMap((key) => children(key, DS, 'X509Certificate').map((c) => c.textContent ?? ''))
    .filter(Boolean)
    .map((body) => toPem(asTyped(typed.certificates.unwrap().element, body, 'X509Certificate'), 'metadataXml', "The metadata's X509Certificate"));
  if (certificates.length === 0) refuse('has no signing certificate');
  return { entityId, ssoUrl, certificates: [...new Set(certificates)].slice(0, MAX_CERTIFICATES) };
}

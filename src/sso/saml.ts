// SAML 2.0 through @node-saml/node-saml: AuthnRequests over HTTP-Redirect, responses at
// the ACS over HTTP-POST. node-saml checks the XML signature (assertions must be signed,
// by one of the provider's certificates), that exactly one assertion is present and
// that the signed part is what is read, and the audience. What it leaves to its caller
// is checked here on the signed assertion, with Gatehouse's clock: issuer, recipient,
// destination, the time window, and InResponseTo (a request stored server side, taken
// once by the caller).
import { randomBytesOf } from '../crypto/index.ts';
import { onFirstUse } from '../shared/on-first-use.ts';
import { CLOCK_SKEW_MS } from './clock-skew.ts';
import type { ServiceProviderUrls } from './urls.ts';

export interface SamlIdp {
  entityId: string;
  ssoUrl: string;
  certificates: string[];
}

const nodeSaml = onFirstUse(() => import('@node-saml/node-saml'));

async function samlFor(idp: SamlIdp, sp: ServiceProviderUrls, requestId?: string) {
  const { SAML, ValidateInResponseTo } = await nodeSaml();
  return new SAML({
    entryPoint: idp.ssoUrl,
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    audience: sp.entityId,
    idpCert: idp.certificates.length > 0 ? idp.certificates : ['none'],
    idpIssuer: idp.entityId,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    // InResponseTo and the time window are checked below, atomically and on our clock.
    validateInResponseTo: ValidateInResponseTo.never,
    acceptedClockSkewMs: -1,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    signatureAlgorithm: 'sha256',
    ...(requestId ? { generateUniqueId: () => requestId } : {}),
  });
}

export function newSamlRequestId(): string {
  return `_${Buffer.from(randomBytesOf(20)).toString('hex')}`;
}

/** The provider's sign-in URL carrying a fresh AuthnRequest with `requestId`. */
export async function samlAuthorization(idp: SamlIdp, sp: ServiceProviderUrls, requestId: string): Promise<string> {
  return (await samlFor(idp, sp, requestId)).getAuthorizeUrlAsync('', undefined, {});
}

export async function serviceProviderMetadata(sp: ServiceProviderUrls): Promise<string> {
  return (await samlFor({ entityId: 'unused', ssoUrl: sp.acsUrl, certificates: [] }, sp)).generateServiceProviderMetadata(null, null);
}

/** How far into a response its root element's start tag may end: it holds a handful of short attributes. */
const START_TAG_LIMIT = 4096;

/**
 * The attributes of the response's root element, the Response itself, read from its start
 * tag alone: the document's first element (after the XML declaration, comments and
 * whitespace), which must be a Response and must end within START_TAG_LIMIT characters;
 * undefined when it cannot be read so. Anyone may post to the ACS, and this runs on the
 * unverified XML: a pattern searched over the whole document backtracked from every
 * "<Response" in it (half a megabyte of them held the node for seconds). Here the work is
 * bounded by the limit, and each attribute is read as a whole (a name, then its quoted
 * value), so a value cannot pass for another attribute.
 */
function responseAttributes(samlResponse: string): Map<string, string> | undefined {
  const head = Buffer.from(samlResponse, 'base64').toString('utf8').slice(0, START_TAG_LIMIT);
  let at = 0;
  for (;;) {
    at = head.indexOf('<', at);
    if (at === -1) return undefined;
    if (head.startsWith('<?', at)) at = head.indexOf('?>', at);
    else if (head.startsWith('<!--', at)) at = head.indexOf('-->', at);
    else break;
    if (at === -1) return undefined;
  }
  const name = /^<(?:[A-Za-z_][\w.-]*:)?Response(?=[\s/>])/.exec(head.slice(at, at + 64));
  if (!name) return undefined;
  const attribute = /\s*([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')|\s*(\/?>)/y;
  const attributes = new Map<string, string>();
  attribute.lastIndex = at + name[0].length;
  for (let match = attribute.exec(head); match; match = attribute.exec(head)) {
    if (match[4]) return attributes;
    attributes.set(match[1] as string, (match[2] ?? match[3]) as string);
  }
  return undefined;
}

/** The InResponseTo the (not yet verified) response claims: which request to look up. */
export function claimedInResponseTo(samlResponse: string): string | undefined {
  const claimed = responseAttributes(samlResponse)?.get('InResponseTo');
  return claimed && claimed.length <= 200 ? claimed : undefined;
}

export interface VerifiedAssertion {
  assertionId: string;
  nameId: string | undefined;
  attributes: Record<string, unknown>;
  authnContextClassRef: string | undefined;
  /** Until when its id must be remembered to refuse a replay. */
  expiresAt: number;
}

type Node = { $?: Record<string, string>; _?: string } & Record<string, unknown>;
const at = (node: unknown, ...path: string[]): Node | undefined => {
  let current = node as Node | undefined;
  for (const key of path) current = (current?.[key] as Node[] | undefined)?.[0];
  return current;
};
const timeOf = (value: string | undefined) => (value === undefined ? undefined : Date.parse(value));
const listOf = (value: unknown): Node[] => (Array.isArray(value) ? (value as Node[]) : []);

/**
 * The signed assertion's attributes by name. Some providers send one Attribute element per
 * value (a group each): every element's values are kept, in order, where node-saml's
 * profile keeps only the last element of a name, and a user would lose groups. One value
 * stands alone; several make a list. A value is its text, or the element itself when it
 * has children (as node-saml reads it).
 */
function attributesOf(assertion: Node): Record<string, unknown> {
  const values = new Map<string, unknown[]>();
  for (const statement of listOf(assertion.AttributeStatement)) {
    for (const attribute of listOf(statement.Attribute)) {
      const name = attribute.$?.Name;
      if (name === undefined || !Array.isArray(attribute.AttributeValue)) continue;
      const read = listOf(attribute.AttributeValue).map((value) => (Object.keys(value).some((key) => key !== '_' && key !== '$') ? value : value._));
      values.set(name, [...(values.get(name) ?? []), ...read]);
    }
  }
  return Object.fromEntries([...values].map(([name, list]) => [name, list.length === 1 ? list[0] : list]));
}

export class SamlRefused extends Error {
  override name = 'SamlRefused';
}

/**
 * Verifies a POSTed SAMLResponse for `requestId` against the provider. Throws (a
 * SamlRefused or node-saml's error) when anything is wrong; nothing is stored here.
 */
export async function verifySamlResponse(idp: SamlIdp, sp: ServiceProviderUrls, samlResponse: string, requestId: string, now: number): Promise<VerifiedAssertion> {
  const saml = await samlFor(idp, sp);
  const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: samlResponse });
  if (!profile?.getAssertion) throw new SamlRefused('no assertion');
  const assertion = (profile.getAssertion() as { Assertion?: Node }).Assertion;
  if (!assertion) throw new SamlRefused('no assertion');
  const refuse = (why: string): never => {
    throw new SamlRefused(why);
  };

  const issuer = at(assertion, 'Issuer')?._;
  if (issuer !== idp.entityId) refuse('the assertion was issued by another provider');
  // The Response element itself may be unsigned; its Destination, when present, must still be us.
  const response = responseAttributes(samlResponse) ?? refuse('the response element cannot be read');
  const destination = response.get('Destination');
  if (destination !== undefined && destination !== sp.acsUrl) refuse('the response is addressed to another destination');

  const confirmations = ((at(assertion, 'Subject') as Node | undefined)?.SubjectConfirmation as Node[] | undefined) ?? [];
  const bearer = confirmations
    .filter((c) => c.$?.Method === 'urn:oasis:names:tc:SAML:2.0:cm:bearer')
    .map((c) => at(c, 'SubjectConfirmationData')?.$)
    .find((data) => data !== undefined);
  if (!bearer) return refuse('the assertion has no bearer subject confirmation');
  if (bearer.Recipient !== sp.acsUrl) refuse('the assertion is for another recipient');
  if (bearer.InResponseTo !== requestId) refuse('the assertion answers another request');
  const confirmUntil = timeOf(bearer.NotOnOrAfter);
  if (confirmUntil === undefined || Number.isNaN(confirmUntil)) refuse('the subject confirmation has no NotOnOrAfter');
  if (now - CLOCK_SKEW_MS >= (confirmUntil as number)) refuse('the assertion has expired');
  // The Web Browser SSO profile says a bearer confirmation carries no NotBefore; one that
  // does is held to it, as the Conditions' is.
  const confirmFrom = timeOf(bearer.NotBefore);
  if (confirmFrom !== undefined && (Number.isNaN(confirmFrom) || now + CLOCK_SKEW_MS < confirmFrom)) refuse('the assertion is not valid yet');

  const conditions = at(assertion, 'Conditions')?.$ ?? {};
  const notBefore = timeOf(conditions.NotBefore);
  const notOnOrAfter = timeOf(conditions.NotOnOrAfter);
  if (notBefore !== undefined && (Number.isNaN(notBefore) || now + CLOCK_SKEW_MS < notBefore)) refuse('the assertion is not valid yet');
  if (notOnOrAfter !== undefined && (Number.isNaN(notOnOrAfter) || now - CLOCK_SKEW_MS >= notOnOrAfter)) refuse('the assertion has expired');

  const assertionId = assertion.$?.ID;
  if (!assertionId) refuse('the assertion has no ID');
  const authnContextClassRef = at(assertion, 'AuthnStatement', 'AuthnContext', 'AuthnContextClassRef')?._;
  return {
    assertionId: assertionId as string,
    nameId: typeof profile.nameID === 'string' ? profile.nameID : undefined,
    attributes: attributesOf(assertion),
    authnContextClassRef,
    expiresAt: Math.max(confirmUntil as number, notOnOrAfter ?? 0) + CLOCK_SKEW_MS,
  };
}

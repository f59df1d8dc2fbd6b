// Who the provider says signed in, read the same way from a SAML assertion's attributes
// or an OIDC ID token's claims, and whether it proved a second factor.

export interface ProviderIdentity {
  /** The value of the company's chosen username attribute (NameID / sub when asked). */
  username: string;
  displayName: string;
  email: string;
  /** The assertion proves multi-factor authentication at the provider. */
  mfa: boolean;
  /** What the provider said about how the user authenticated, for the audit trail. */
  method: string | null;
  /** The group names the provider listed; null when the provider is not set to send them. */
  groups: string[] | null;
}

type Claims = Record<string, unknown>;

/**
 * A claim without the spaces, tabs and line breaks around it, and nothing else: not
 * String#trim, which also takes a BOM, a no-break or ideographic space, a line separator.
 * Left on a provider's username, those make it another account than the plain name's,
 * and the username rule then refuses it (checkedClaims) rather than sign in the plain one.
 */
export const withoutSurroundingSpace = (value: string): string => value.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');

function first(value: unknown): string | undefined {
  const one = Array.isArray(value) ? value[0] : value;
  const trimmed = typeof one === 'string' ? withoutSurroundingSpace(one) : '';
  return trimmed !== '' ? trimmed : undefined;
}

function firstOf(claims: Claims, names: string[]): string | undefined {
  for (const name of names) {
    const value = first(claims[name]);
    if (value) return value;
  }
  return undefined;
}

// Common spellings of the same facts across Entra ID, Okta, Google and SimpleSAMLphp.
const EMAIL = ['email', 'mail', 'urn:oid:0.9.2342.19200300.100.1.3', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'];
const DISPLAY_NAME = [
  'name',
  'displayName',
  'urn:oid:2.16.840.1.113730.3.1.241',
  'http://schemas.microsoft.com/identity/claims/displayname',
  'cn',
  'urn:oid:2.5.4.3',
];
const GIVEN = ['given_name', 'givenName', 'urn:oid:2.5.4.42', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname'];
const FAMILY = ['family_name', 'sn', 'urn:oid:2.5.4.4', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname'];

/** SAML AuthnContextClassRef values that mean more than one factor was used. */
export const SAML_MFA_CONTEXTS = new Set([
  'https://refeds.org/profile/mfa',
  'http://schemas.microsoft.com/claims/multipleauthn',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered',
]);
/** Entra ID also lists the methods in this attribute. */
const SAML_METHODS_ATTRIBUTE = 'http://schemas.microsoft.com/claims/authnmethodsreferences';

/** OIDC acr values that mean more than one factor (a Gatehouse as provider says its own). */
export const OIDC_MFA_ACRS = new Set([
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
  'https://refeds.org/profile/mfa',
  'urn:gatehouse:loa:2fa',
]);
/** RFC 8176 methods that are a second factor next to a first (or "mfa" itself). */
const SECOND_FACTOR_AMR = new Set(['mfa', 'otp', 'hwk', 'swk', 'sms', 'tel', 'fpt', 'face', 'iris', 'retina', 'vbm', 'sc']);

/** Every string value of a multi-valued attribute or claim (or a single one); an absent one is no groups. */
function groupsOf(claims: Claims, groupsAttribute: string | null): string[] | null {
  if (!groupsAttribute) return null;
  return [claims[groupsAttribute] ?? []].flat().filter((g): g is string => typeof g === 'string' && g.trim() !== '').map((g) => g.trim());
}

/** Entra ID's SAML stand-in for a groups attribute it would not send (more than 150 groups). */
const SAML_GROUPS_LINK = 'http://schemas.microsoft.com/claims/groups.link';

/**
 * Why an answer that leaves the groups attribute out does not mean "no groups": the
 * provider said the groups are elsewhere. OpenID Connect's distributed claims (Core 5.6.2:
 * `_claim_names` names the claim, Entra ID's overage for a user in more than 200 groups)
 * and Entra ID's SAML `groups.link`. Read as no groups, every sign-in of such a user would
 * take all their groups, and the modules they give, away; Gatehouse does not fetch the
 * groups from where they were sent (a call to another API, with its own credentials), so
 * the sign-in is refused with what the company's provider should send instead.
 */
function groupsSentElsewhere(claims: Claims, groupsAttribute: string | null): string | undefined {
  if (!groupsAttribute || claims[groupsAttribute] !== undefined) return undefined;
  const names = claims._claim_names;
  const distributed = typeof names === 'object' && names !== null && Object.hasOwn(names, groupsAttribute);
  if (!distributed && claims[SAML_GROUPS_LINK] === undefined) return undefined;
  return `the provider sent the "${groupsAttribute}" groups by reference (too many groups for its answer, such as Entra ID's group overage), not their names: have it send only the groups assigned to the application`;
}

function names(claims: Claims, usernameAttribute: string, fallbackUsername: string | undefined) {
  const username = first(claims[usernameAttribute]) ?? (usernameAttribute === 'NameID' || usernameAttribute === 'sub' ? fallbackUsername : undefined);
  const email = firstOf(claims, EMAIL) ?? '';
  const given = firstOf(claims, GIVEN);
  const family = firstOf(claims, FAMILY);
  const displayName = firstOf(claims, DISPLAY_NAME) ?? ([given, family].filter(Boolean).join(' ') || username || '');
  return { username, email, displayName };
}

export function samlIdentity(
  attributes: Claims,
  nameId: string | undefined,
  usernameAttribute: string,
  authnContextClassRef: string | undefined,
  groupsAttribute: string | null = null,
): ProviderIdentity | { missing: string } | { refused: string } {
  const { username, email, displayName } = names(attributes, usernameAttribute, nameId);
  if (!username) return { missing: usernameAttribute };
  const elsewhere = groupsSentElsewhere(attributes, groupsAttribute);
  if (elsewhere) return { refused: elsewhere };
  const methods = [attributes[SAML_METHODS_ATTRIBUTE]].flat().filter((m): m is string => typeof m === 'string');
  const mfa = (authnContextClassRef !== undefined && SAML_MFA_CONTEXTS.has(authnContextClassRef)) || methods.some((m) => SAML_MFA_CONTEXTS.has(m));
  return { username, email, displayName, mfa, method: authnContextClassRef ?? null, groups: groupsOf(attributes, groupsAttribute) };
}

/**
 * The provider did not say yes to the `email` claim's `email_verified`: anything but true
 * (or "true", in any case, as some providers send it) where the claim is present (false,
 * "false", "FALSE", 0, "no", ...). Such an address is whatever its holder typed at the
 * provider (a self-service sign-up, a profile field). Absent, the provider is taken at its
 * word (Entra ID never sends it).
 */
const emailUnverified = (claims: Claims) => {
  const said: unknown = claims.email_verified;
  if (said === undefined || said === null || said === true) return false;
  return !(typeof said === 'string' && said.trim().toLowerCase() === 'true');
};

export function oidcIdentity(claims: Claims, usernameAttribute: string, groupsAttribute: string | null = null): ProviderIdentity | { missing: string } | { refused: string } {
  const unverified = emailUnverified(claims);
  // An address the provider has not verified names nobody: as the username it would sign
  // in whoever's name is that address (anyone may type it at the provider), and as the
  // email it would send that user's mail (resets, notices) there. It counts as not sent.
  // email_verified speaks of the user's address, whichever claim carries it: every name
  // an address goes by (EMAIL) is dropped, not only `email`, or the same address sent
  // again as `mail` would be stored after all.
  if (unverified && EMAIL.includes(usernameAttribute) && first(claims[usernameAttribute])) {
    return { refused: 'the email address the provider names as the username is not verified by it (email_verified is not true)' };
  }
  const addressless = unverified ? Object.fromEntries(Object.entries(claims).filter(([name]) => !EMAIL.includes(name))) : claims;
  const { username, email, displayName } = names(addressless, usernameAttribute, first(claims.sub));
  if (!username) return { missing: usernameAttribute };
  const elsewhere = groupsSentElsewhere(claims, groupsAttribute);
  if (elsewhere) return { refused: elsewhere };
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((m): m is string => typeof m === 'string') : [];
  const acr = typeof claims.acr === 'string' ? claims.acr : undefined;
  const secondFactors = amr.filter((m) => SECOND_FACTOR_AMR.has(m));
  const mfa = amr.includes('mfa') || (amr.length >= 2 && secondFactors.length >= 1) || (acr !== undefined && OIDC_MFA_ACRS.has(acr));
  const method = [acr, amr.length ? `amr=${amr.join(' ')}` : undefined].filter(Boolean).join(' ') || null;
  return { username, email, displayName, mfa, method, groups: groupsOf(claims, groupsAttribute) };
}

// Where a company's identity provider may send Gatehouse or its users: the URLs a Master
// types (the issuer, a SAML SSO URL) and the endpoints an OpenID Connect discovery
// document names. https, or plain http on this machine (a provider under test or in
// development); nothing else, not javascript: or data:, which would otherwise reach a
// browser as the place to sign in.
import { isSingleLine } from '../contract/fields.ts';
import { isLoopbackHost } from '../shared/loopback.ts';

/**
 * https, or plain http on this machine (a provider under test or in development). The
 * text itself must be the URL: the URL parser silently drops tabs and line breaks and
 * trims spaces and control characters, so a value holding them would be judged, and
 * compared, as another text than the one stored and shown.
 */
export function providerUrlProblem(value: string): string | undefined {
  if (/\s/u.test(value) || !isSingleLine(value)) return 'must not contain spaces, line breaks or control characters';
  if (!URL.canParse(value)) return 'must be a full URL';
  const url = new URL(value);
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return 'must use https (plain http only on localhost)';
}

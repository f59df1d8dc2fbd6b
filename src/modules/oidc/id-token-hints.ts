// An id_token_hint is a module's copy of an ID token Gatehouse signed. Once the key that
// signed it is gone (`gatehouse keys rotate --now`, a retired key past its grace, a lost
// secret key's keys replaced) the provider cannot verify it, and refused the whole request:
// a module's Log Out ended on an error page with the person still logged in to Gatehouse
// (on a shared computer, believing they had left), and a silent sign-in heard
// invalid_request. A module cannot know a rotation happened, so such a hint is taken for
// no more than it still says without proof:
//
// - At the logout page (end_session) it names the module, as client_id does, and proves
//   nothing: post_logout_redirect_uri is honoured only as without a hint (when client_id
//   names the module itself). The person sees the usual confirmation and can log out.
// - At the authorization (and a pushed one) it is the user the module expects, a
//   restriction only: a browser signed in as someone else logs in again and the module
//   hears login_required for anyone else (sign-in-gate.ts), prompt=none with no session
//   hears login_required. It never says who is signed in.
//
// A hint signed by a key the provider still holds, but with the algorithm the module used
// before an operator changed it (RS256 to ES256, or back), is a genuine ID token the
// provider refuses only for its algorithm: its signature is checked against that key here,
// and it counts as verified (a module's Log Out after the edit confirms as usual).
//
// Only a hint that is ours in every other way: it decodes, names our issuer and, as its
// audience, the registered module that sends it, carries a subject, and is signed with the
// algorithm that module's ID tokens use by a key id the provider no longer holds. Anything
// else is refused as before: a hint of another issuer or module, or one whose key we hold
// but whose signature does not verify (a forgery). A forged hint with a made-up key id is
// also taken as above, which gives its sender nothing: sending no hint gets as much.
import { createPublicKey, verify, type JsonWebKey as NodeJwk } from 'node:crypto';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import type { PrivateJwk } from '../../crypto/signing.ts';

type HintClient = { clientId: string; idTokenSignedResponseAlg: string };
type Decoded = { header: Record<string, unknown>; payload: Record<string, unknown> };

/** The routes whose hint may be taken without its signature (the provider's route names). */
const ROUTES_TAKING_UNVERIFIED_HINTS = new Set(['authorization', 'pushed_authorization_request', 'end_session']);

function decodePart(part: string | undefined): Record<string, unknown> | undefined {
  if (!part) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

type OurHint = Decoded & { signingInput: string; signature: Buffer };

/** The hint decoded, when it names our issuer, the sending module as its one audience, and a subject. */
function ourHint(jwt: string, client: HintClient, issuer: string): OurHint | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  const header = decodePart(parts[0]);
  const payload = decodePart(parts[1]);
  if (!header || !payload) return undefined;
  const { aud } = payload;
  const forThisModule = aud === client.clientId || (Array.isArray(aud) && aud.length === 1 && aud[0] === client.clientId);
  if (!forThisModule || payload.iss !== issuer || typeof payload.sub !== 'string') return undefined;
  return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2] ?? '', 'base64url') };
}

/** The hint decoded, when it is ours but signed by a key the provider no longer holds. */
export function hintFromDroppedKey(jwt: string, client: HintClient, issuer: string, heldKids: ReadonlySet<string>): Decoded | undefined {
  const hint = ourHint(jwt, client, issuer);
  const kid = hint?.header.kid;
  const alg = hint?.header.alg;
  const dropped = typeof kid === 'string' && !heldKids.has(kid) && alg === client.idTokenSignedResponseAlg && !String(alg).startsWith('HS');
  return hint && dropped ? { header: hint.header, payload: hint.payload } : undefined;
}

/** The algorithms Gatehouse signs ID tokens with, as node:crypto verifies them. */
const VERIFIERS: Record<string, { dsaEncoding?: 'ieee-p1363' }> = { RS256: {}, ES256: { dsaEncoding: 'ieee-p1363' } };

/**
 * The hint decoded, when it is ours and signed (verified here) by a key the provider holds
 * with another of Gatehouse's algorithms than the module's now: the module's before an edit.
 */
export function hintFromFormerAlgorithm(jwt: string, client: HintClient, issuer: string, heldKeys: readonly PrivateJwk[]): Decoded | undefined {
  const hint = ourHint(jwt, client, issuer);
  if (!hint) return undefined;
  const { kid, alg } = hint.header;
  const key = heldKeys.find((held) => held.kid === kid && held.alg === alg);
  const verifier = typeof alg === 'string' ? VERIFIERS[alg] : undefined;
  if (!key || !verifier || alg === client.idTokenSignedResponseAlg) return undefined;
  // The public half of the held key (createPublicKey derives it from the private JWK).
  const publicKey = createPublicKey({ key: key as unknown as NodeJwk, format: 'jwk' });
  const signed = verify('sha256', Buffer.from(hint.signingInput), { key: publicKey, ...verifier }, hint.signature);
  return signed ? { header: hint.header, payload: hint.payload } : undefined;
}

/**
 * Wraps the provider's ID token hint check (used by the authorization, its pushed form and
 * end_session): a hint it refuses because its key is gone is taken as described above.
 * `heldKeys` are the keys this provider was built with (published, signing or not).
 */
export function acceptHintsFromDroppedKeys(provider: Provider, heldKeys: readonly PrivateJwk[]): void {
  const heldKids = new Set(heldKeys.map((key) => key.kid));
  const IdToken = provider.IdToken as unknown as { validate(jwt: string, client: HintClient): Promise<Decoded> };
  const validate = IdToken.validate.bind(IdToken);
  IdToken.validate = async (jwt, client) => {
    try {
      return await validate(jwt, client);
    } catch (error) {
      // A genuine hint in the module's former algorithm: verified, so taken as the provider takes any.
      const former = hintFromFormerAlgorithm(jwt, client, provider.issuer, heldKeys);
      if (former) return former;
      const ctx = Provider.ctx as KoaContextWithOIDC | undefined;
      const route = ctx?.oidc?.route;
      const hint = route !== undefined && ROUTES_TAKING_UNVERIFIED_HINTS.has(route) ? hintFromDroppedKey(jwt, client, provider.issuer, heldKids) : undefined;
      if (!ctx || !hint) throw error;
      // The provider checks post_logout_redirect_uri right after this answer: without a
      // verified hint only client_id may vouch for it, as when no hint is sent.
      if (route === 'end_session' && !ctx.oidc.params?.client_id) (ctx.oidc.params as Record<string, unknown>).post_logout_redirect_uri = undefined;
      return hint;
    }
  };
}

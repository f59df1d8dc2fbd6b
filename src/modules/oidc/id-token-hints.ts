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
// Only a hint that is ours in every other way: it decodes, names our issuer and, as its
// audience, the registered module that sends it, carries a subject, and is signed with the
// algorithm that module's ID tokens use by a key id the provider no longer holds. Anything
// else is refused as before: a hint of another issuer or module, or one whose key we hold
// but whose signature does not verify (a forgery). A forged hint with a made-up key id is
// also taken as above, which gives its sender nothing: sending no hint gets as much.
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

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

/** The hint decoded, when it is ours but signed by a key the provider no longer holds. */
export function hintFromDroppedKey(jwt: string, client: HintClient, issuer: string, heldKids: ReadonlySet<string>): Decoded | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  const header = decodePart(parts[0]);
  const payload = decodePart(parts[1]);
  if (!header || !payload) return undefined;
  const { kid, alg } = header;
  const { aud } = payload;
  const forThisModule = aud === client.clientId || (Array.isArray(aud) && aud.length === 1 && aud[0] === client.clientId);
  const dropped = typeof kid === 'string' && !heldKids.has(kid) && alg === client.idTokenSignedResponseAlg && !String(alg).startsWith('HS');
  return dropped && forThisModule && payload.iss === issuer && typeof payload.sub === 'string' ? { header, payload } : undefined;
}

/**
 * Wraps the provider's ID token hint check (used by the authorization, its pushed form and
 * end_session): a hint it refuses because its key is gone is taken as described above.
 * `heldKids` are the key ids this provider was built with (published, signing or not).
 */
export function acceptHintsFromDroppedKeys(provider: Provider, heldKids: ReadonlySet<string>): void {
  const IdToken = provider.IdToken as unknown as { validate(jwt: string, client: HintClient): Promise<Decoded> };
  const validate = IdToken.validate.bind(IdToken);
  IdToken.validate = async (jwt, client) => {
    try {
      return await validate(jwt, client);
    } catch (error) {
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

// A module sign-in on a live Gatehouse session (a launch from the portal, a module's
// silent renewal, a second module in the same browser) writes a grant, a code and a
// `module.launched` event, and costs the signed-in user nothing to repeat: a script
// following the redirects could write them at request speed, for good, into its company's
// trail. Each such sign-in takes one of the user's slots (moduleSignIns,
// src/shared/signed-in-writes.ts) where the grant is about to be saved: the one place
// every sign-in that passed the login checks goes through, whether the authorization
// answers at once or the resume does (provider.ts, gatehouse_grant). Past the cap the
// module hears temporarily_unavailable (RFC 6749 4.1.2.1) with its state, at its redirect
// URI, and nothing of the sign-in is written; the refusal is audited under the refusals cap.
// A login made for this very sign-in is not counted: it cost a password and a second
// factor, which the login's own caps hold.
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { normalizeAddress } from '../../http/client-ip.ts';
import type { SignedIn } from '../../sessions/index.ts';
import type { CoreDeps } from '../../shared/deps.ts';
import { recordUserRefusal, spendModuleSignIn } from '../../shared/signed-in-writes.ts';
import { loginMadeFor } from './carried-interaction.ts';

/** The resumed sign-in's uid, on the resume; undefined on the authorization itself. */
function resumedUid(ctx: KoaContextWithOIDC): string | undefined {
  if (ctx.oidc.route !== 'resume') return undefined;
  return (ctx.oidc.entities as { Interaction?: { uid?: string } }).Interaction?.uid;
}

/**
 * Takes the user's slot for this sign-in, or throws temporarily_unavailable past the cap.
 * `signedIn` is the live session the sign-in is made from.
 */
export async function holdToSignInCap(deps: CoreDeps, ctx: KoaContextWithOIDC, signedIn: SignedIn): Promise<void> {
  if (loginMadeFor(signedIn, resumedUid(ctx))) return;
  const now = deps.clock();
  if (await spendModuleSignIn(deps.db, signedIn.userId, now)) return;
  const clientId = ctx.oidc.client?.clientId ?? null;
  await recordUserRefusal(deps.db, now, {
    companyId: signedIn.companyId,
    actorId: signedIn.userId,
    action: 'module.sign_in_refused',
    target: clientId,
    ip: normalizeAddress(ctx.ip),
    userAgent: ctx.get('user-agent') || null,
    detail: { clientId, module: ctx.oidc.client?.clientName ?? null, reason: 'rate_limited' },
  });
  throw new errors.TemporarilyUnavailable('too many sign-ins to applications in a short time; try again in a few minutes');
}

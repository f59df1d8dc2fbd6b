// What a module is told about a sign-in (the account, acr, amr, auth_time) is the live
// Gatehouse session's, and what it asks for (acr_values) is met by that session.
// oidc-provider keeps a login in its own Session (accountId, acr, amr, loginTs), written
// only at a resume, and makes every later code from it without asking Gatehouse: a new
// Gatehouse login in the same browser (with a key, or without one now) would leave
// modules told about the earlier one, and a session made with a code would pass for one
// made with a key. So the provider's session is brought in line with the live session of
// the same account before the login checks run (loadExistingGrant), the gatehouse_session
// check asks for a login while the two still differ, and the gatehouse_acr check sends a
// session without a key to the resume's gate, which steps up (provider.ts, sign-in-gate.ts).
// A silent sign-in from a browser whose provider session remembers no login at all (it
// logged in at the portal, not through a module) takes the live login (takeLiveLogin).
import { randomBytes } from 'node:crypto';
import type { Grant, KoaContextWithOIDC } from 'oidc-provider';
import type { SignedIn } from '../../sessions/index.ts';
import { accountIdOf, accountOf, ACR_PHISHING_RESISTANT, acrOf } from './account.ts';

type ProviderSession = NonNullable<KoaContextWithOIDC['oidc']['session']>;

/** A login as the provider's session keeps it. */
export interface ProviderLogin {
  accountId: string;
  acr: string;
  amr: string[];
  /** auth_time: whole seconds, as the provider counts. */
  loginTs: number;
}

/** The login a live Gatehouse session stands for. */
export function loginOf(signedIn: Pick<SignedIn, 'companyId' | 'userId' | 'amr' | 'authTime'>): ProviderLogin {
  return {
    accountId: accountIdOf(signedIn.companyId, signedIn.userId),
    acr: acrOf(signedIn.amr),
    amr: [...signedIn.amr],
    loginTs: Math.floor(signedIn.authTime / 1000),
  };
}

/** Whether the provider's session remembers exactly `login`: who, how and when. */
export function remembersLogin(session: Pick<ProviderSession, 'accountId' | 'acr' | 'amr' | 'loginTs'>, login: ProviderLogin): boolean {
  return (
    session.accountId === login.accountId &&
    session.acr === login.acr &&
    session.loginTs === login.loginTs &&
    (session.amr ?? []).join(' ') === login.amr.join(' ')
  );
}

/**
 * The provider's session made to remember `login`, a later login of the same account (a
 * new Gatehouse session in this browser), as its resume does at a login: a new session
 * identifier too. Nothing changes when it remembers that login already.
 */
export function rememberLiveLogin(session: ProviderSession, login: ProviderLogin): void {
  if (session.accountId !== login.accountId || remembersLogin(session, login)) return;
  session.loginAccount(login);
  session.resetIdentifier();
}

/**
 * A silent sign-in (prompt=none) never shows the login page, so the resume that writes a
 * login into the provider's session never comes: a browser logged in at the portal only
 * heard login_required while its Gatehouse session lived. Its provider session takes the
 * live login here instead, before the login checks, and what the provider does for a
 * session with a login before those checks (its account, its grant) is done for it. Every
 * login check (the live session's, max_age, acr_values, the module's access) then runs on
 * that login, as for a browser that signed in through a module; a refusal is still
 * login_required. Called only where the session has no login and the user may use the module.
 */
export async function takeLiveLogin(
  ctx: KoaContextWithOIDC,
  signedIn: SignedIn,
  loadGrant: (ctx: KoaContextWithOIDC) => Promise<Grant | undefined>,
): Promise<void> {
  const { oidc } = ctx;
  const session = oidc.session as ProviderSession & { new?: boolean };
  const clientId = oidc.client?.clientId;
  if (!clientId) return;
  const login = loginOf(signedIn);
  session.loginAccount(login);
  // A session the browser held already (one nobody signed in to, the logout page's) is
  // made a new one with its login, as at any login: a new identifier, and a new uid, which
  // codes and grants name it by. Two silent sign-ins at once from that browser each make
  // their own, as from a browser with no provider session at all.
  if (!session.new) {
    session.resetIdentifier();
    session.uid = randomBytes(16).toString('base64url');
  }
  oidc.entity('Account', accountOf(login.accountId, signedIn));
  const grant = await loadGrant(ctx);
  if (!grant) return;
  session.ensureClientContainer(clientId);
  session.grantIdFor(clientId, grant.jti);
  oidc.entity('Grant', grant);
}

/** acr_values asking for phishing-resistant sign-in: a passkey or security key. */
export function asksForKey(acrValues: unknown): boolean {
  return typeof acrValues === 'string' && acrValues.split(' ').includes(ACR_PHISHING_RESISTANT);
}

/** A session made without a key, for a request whose acr_values ask for one. */
export function keyMissingFor(acrValues: unknown, amr: readonly string[]): boolean {
  return asksForKey(acrValues) && acrOf(amr) !== ACR_PHISHING_RESISTANT;
}

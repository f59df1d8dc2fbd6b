// A module's access lives and dies with the Gatehouse browser session it came from.
// Every provider grant (and so every code, access token and refresh token made from it)
// is bound, when it is made or reused at an authorization, to the Gatehouse session that
// signed the user in. A grant is found only while that session is live: the adapter asks
// here, so refresh grants, userinfo and introspection all refuse (invalid_grant, 401,
// active=false) once the session has ended: Log Out, idle timeout, the company's
// absolute limit, the session revoked from My Settings, the user disabled, the company
// suspended, or the session's address excluded by the company's IP allowlist.
//
// Module use never counts as activity on the browser session: a module refreshing in
// the background must not keep an idle session alive (as Keycloak bounds refresh tokens
// by the SSO session's idle and maximum times, and NIST 800-63B's AAL2 idle timeout is
// about the user). A user working in a module is signed in again silently at the
// module's next authorization request while the browser session is live.
import type { Insertable, OnConflictBuilder, QueryCreator } from 'kysely';
import { Provider, type KoaContextWithOIDC } from 'oidc-provider';
import { ipAllowed } from '../../companies/ip-ranges.ts';
import { normalizeAddress } from '../../http/client-ip.ts';
import { liveSessionBehindGrant, type LiveSession } from '../../sessions/index.ts';
import type { Database, Queryable } from '../../storage/index.ts';
import { rememberForRequest, seedForRequest } from './request-memo.ts';

export interface GrantBinding {
  grantId: string;
  sessionHash: string;
  companyId: string;
  userId: string;
  clientId: string;
  accountId: string;
  sid: string | null;
  providerSessionUid: string | null;
}

type Binding = Omit<GrantBinding, 'grantId'>;

/** The binding's row, as one statement (alone, or as a part of the grant's upsert). */
export function grantBindingInsert(db: QueryCreator<Database>, binding: GrantBinding, now: number) {
  return db.insertInto('module_grant_sessions').values(grantBindingRow(binding, now)).onConflict(onBindingConflict);
}

/** The binding's row as values, for a statement that writes it only on a condition (write-batch.ts). */
export function grantBindingRow(binding: GrantBinding, now: number): Insertable<Database['module_grant_sessions']> {
  return {
    grant_id: binding.grantId,
    session_hash: binding.sessionHash,
    company_id: binding.companyId,
    user_id: binding.userId,
    client_id: binding.clientId,
    account_id: binding.accountId,
    sid: binding.sid,
    provider_session_uid: binding.providerSessionUid,
    created_at: now,
  };
}

/** A grant bound again (reused at a later authorization) keeps its session and takes the new sid. */
export const onBindingConflict = (oc: OnConflictBuilder<Database, 'module_grant_sessions'>) =>
  oc.column('grant_id').doUpdateSet((eb) => ({ sid: eb.ref('excluded.sid'), provider_session_uid: eb.ref('excluded.provider_session_uid') }));

// The binding a provider request wants written with the grant it is saving. The grant's
// id is known only once the provider saves it, so the adapter's upsert of that Grant
// writes both together (adapter.ts): one write fewer per authorization, and a grant is
// never stored unbound.
const bindingOnSave = new WeakMap<object, { binding: Binding; written: boolean }>();

/**
 * Runs `save` (the provider's Grant#save, which answers the grant's id) so that the Grant
 * it stores is bound in the same write. Should the adapter not have seen the binding (no
 * provider request context), the binding is written after the save instead, never lost.
 */
export async function saveGrantBound(db: Queryable, ctx: object, binding: Binding, save: () => Promise<string>, now: number): Promise<void> {
  const pending = { binding, written: false };
  bindingOnSave.set(ctx, pending);
  try {
    const grantId = await save();
    if (!pending.written) await grantBindingInsert(db, { ...binding, grantId }, now).execute();
  } finally {
    bindingOnSave.delete(ctx);
  }
}

/** For the adapter: the binding to write with a Grant saved in the current provider request. */
export function bindingForGrantSave(grantId: string): GrantBinding | undefined {
  const ctx = Provider.ctx as object | undefined;
  const pending = ctx ? bindingOnSave.get(ctx) : undefined;
  if (!pending) return undefined;
  pending.written = true;
  return { ...pending.binding, grantId };
}

/** A grant may serve this session if it is not bound yet or bound to this very session. */
export async function grantServesSession(db: Queryable, grantId: string, sessionHash: string): Promise<boolean> {
  const row = await db.selectFrom('module_grant_sessions').select('session_hash').where('grant_id', '=', grantId).executeTakeFirst();
  return !row || row.session_hash === sessionHash;
}

/**
 * The live Gatehouse session behind a grant; undefined once it has ended (or never was).
 * Read once per token request (request-memo.ts), though the adapter and findAccount both ask.
 */
export function sessionBehindGrant(db: Queryable, grantId: string, now: number) {
  return rememberForRequest(sessionBehindGrantKey(grantId), () => liveSessionBehindGrant(db, grantId, now));
}

const sessionBehindGrantKey = (grantId: string) => `session-behind-grant:${grantId}`;

/** For a read that found the session behind a grant along with a token (token-reads.ts). */
export function seedSessionBehindGrant(grantId: string, session: LiveSession | undefined): void {
  seedForRequest(sessionBehindGrantKey(grantId), session);
}

// What a token request learned about the session behind its grant, for the token
// lifetimes computed later in the same request (oidc-provider's ttl functions are
// synchronous and get the request context).
const sessionEnds = new WeakMap<object, number>();

/**
 * For findAccount with a token (code exchange, refresh, userinfo): the session behind
 * the token's grant must be live, and a public module (whose token and userinfo calls
 * come from the user's own device) must call from an address the company allows.
 */
export async function tokenUseAllowed(
  db: Queryable,
  ctx: KoaContextWithOIDC | undefined,
  token: { grantId?: string | undefined },
  now: number,
): Promise<boolean> {
  if (!token.grantId) return false;
  const session = await sessionBehindGrant(db, token.grantId, now);
  if (!session) return false;
  const publicClient = ctx?.oidc?.client?.tokenEndpointAuthMethod === 'none';
  if (publicClient && !ipAllowed(session.ipAllowlist, normalizeAddress(ctx?.ip))) return false;
  if (ctx) sessionEnds.set(ctx, session.endsAt);
  return true;
}

/** A token lifetime that never reaches past the end of the session behind it. */
export function lifetimeWithinSession(ctx: unknown, defaultSeconds: number, now: number): number {
  const endsAt = ctx && typeof ctx === 'object' ? sessionEnds.get(ctx) : undefined;
  if (endsAt === undefined) return defaultSeconds;
  return Math.max(1, Math.min(defaultSeconds, Math.floor((endsAt - now) / 1000)));
}

// Browser sessions. The cookie holds a random token; the database keeps its hash. A
// session ends after its company's absolute limit whatever happens (default 12 hours),
// or after the company's idle timeout without use (default 30 minutes, NIST 800-63B
// AAL2 re-authentication), and a fresh id is minted at every login. Only the user's own
// requests count as use; module tokens die with the session they came from
// (src/modules/oidc/session-binding.ts) but never keep it alive.
import { hashToken, randomToken } from '../crypto/index.ts';
import { ipAllowed } from '../companies/ip-ranges.ts';
import type { QueryCreator } from 'kysely';
import type { Database, Queryable } from '../storage/index.ts';
import { fixedQuery } from '../shared/fixed-query.ts';
import { GatehouseError } from '../errors.ts';

/** Defaults; each company's policy sets its own (session_absolute_minutes, session_idle_minutes). */
export const SESSION_ABSOLUTE_MS = 12 * 3_600_000;
export const SESSION_IDLE_MS = 30 * 60_000;
/**
 * How long a proof that it is the user (a login with password and a second factor or
 * through single sign-on, or POST /api/me/reauth) lets this session make a sensitive
 * change (a route marked `sensitive`, src/http/audiences.ts): a borrowed cookie alone
 * cannot plant a Master, move the Root Master or repoint single sign-on. The same
 * window as a fresh sign-in for a key change (FRESH_SIGN_IN_MS, src/webauthn/keys.ts),
 * and as Okta's and Entra's re-authentication for protected actions.
 */
export const FRESH_PROOF_MS = 10 * 60_000;
/** Refresh last_seen_at at most this often, to keep reads cheap. */
const TOUCH_EVERY_MS = 60_000;
/**
 * Store a new address of use sooner than that, but at most this often: a copied cookie
 * used from elsewhere shows in the session lists within seconds, and a session used from
 * two addresses in turn (a copy beside its owner) is not a write per request.
 */
const NEW_ADDRESS_TOUCH_EVERY_MS = 5_000;

/** Whether this use of the session is stored (its time and address): see the two intervals above. */
function isDueForTouch(row: Pick<SessionRow, 'lastSeenAt'>, now: number, moved: boolean): boolean {
  const since = now - row.lastSeenAt;
  return since >= TOUCH_EVERY_MS || (moved && since >= NEW_ADDRESS_TOUCH_EVERY_MS);
}

export interface NewSession {
  companyId: string;
  userId: string;
  amr: string[];
  ip: string | null;
  userAgent: string | null;
  ttlMs?: number;
  loginFor?: string | null;
}

/**
 * A new session: the token for its cookie, and its row as one statement, to run alone or
 * as a part of another (a login's last write on PostgreSQL, src/login/code-attempt.ts).
 */
export function newSession(input: NewSession, now: number) {
  const token = randomToken();
  const values = {
    id_hash: hashToken(token),
    company_id: input.companyId,
    user_id: input.userId,
    amr: input.amr.join(' '),
    created_at: now,
    last_seen_at: now,
    expires_at: now + (input.ttlMs ?? SESSION_ABSOLUTE_MS),
    ip: input.ip,
    user_agent: input.userAgent?.slice(0, 512) ?? null,
    login_for: input.loginFor ?? null,
  };
  return { token, insert: (db: QueryCreator<Database>) => db.insertInto('sessions').values(values) };
}

export async function createSession(db: Queryable, input: NewSession, now: number): Promise<string> {
  const session = newSession(input, now);
  await session.insert(db).execute();
  return session.token;
}

export interface SignedIn {
  sessionHash: string;
  companyId: string;
  userId: string;
  username: string;
  displayName: string;
  email: string;
  /** When a link mailed to `email` was last used; null: the address is not known to reach the user. */
  emailVerifiedAt: number | null;
  role: 'root_master' | 'master' | 'user';
  companyName: string;
  companyStatus: 'active' | 'suspended';
  isOperator: boolean;
  amr: string[];
  authTime: number;
  /** When the user last proved it is them on this session: the login, or a later POST /api/me/reauth. */
  provedAt: number;
  /** The module interaction this login was made for (its return path), or null. */
  loginFor: string | null;
  /** The company's idle timeout as this request judged it: the session ends this long after its last use. */
  idleMinutes: number;
  /** When the session ends however it is used (its absolute limit). */
  endsAt: number;
  /** When it ends unless used again (its last recorded use and the idle timeout). */
  idleEndsAt: number;
}

/** A session's columns with its user's and company's: what `sessionIsOver` judges (also read with a token, modules/oidc/token-reads.ts). */
export const sessionColumns = [
  'sessions.id_hash as sessionHash',
  'sessions.company_id as companyId',
  'sessions.user_id as userId',
  'sessions.amr as amr',
  'sessions.created_at as createdAt',
  'sessions.last_seen_at as lastSeenAt',
  'sessions.expires_at as expiresAt',
  'sessions.ip as ip',
  'sessions.last_seen_ip as lastSeenIp',
  'sessions.login_for as loginFor',
  'sessions.proved_at as provedAt',
  'users.username as username',
  'users.display_name as displayName',
  'users.email as email',
  'users.email_verified_at as emailVerifiedAt',
  'users.role as role',
  'users.status as userStatus',
  'companies.name as companyName',
  'companies.status as companyStatus',
  'companies.is_platform as isPlatform',
  'companies.session_absolute_minutes as absoluteMinutes',
  'companies.session_idle_minutes as idleMinutes',
  'companies.ip_allowlist as ipAllowlist',
] as const;

/**
 * A session by the hash of its token, with its user and company: `sessionColumns`. Another
 * capability may select more of the same row (a module's access decision for the session's
 * user, modules/oidc/session-with-access.ts) and judge the session with `signedInFrom`.
 */
export function sessionRowByHash(db: Queryable, idHash: string) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', (join) =>
      join.onRef('users.id', '=', 'sessions.user_id').onRef('users.company_id', '=', 'sessions.company_id'),
    )
    .innerJoin('companies', 'companies.id', 'sessions.company_id')
    .select(sessionColumns)
    .where('sessions.id_hash', '=', idHash);
}

// Read on every signed-in request and every module token use: compiled once (fixed-query.ts).
const sessionByHash = fixedQuery((db, idHash: string) => sessionRowByHash(db, idHash));

/**
 * The session a module grant is bound to, in one read with the binding: the binding names
 * the company and user too, and the join asks for both, so a session is never borrowed
 * across them.
 */
const sessionBehindGrant = fixedQuery((db, grantId: string) =>
  db
    .selectFrom('module_grant_sessions')
    .innerJoin('sessions', (join) =>
      join
        .onRef('sessions.id_hash', '=', 'module_grant_sessions.session_hash')
        .onRef('sessions.company_id', '=', 'module_grant_sessions.company_id')
        .onRef('sessions.user_id', '=', 'module_grant_sessions.user_id'),
    )
    .innerJoin('users', (join) =>
      join.onRef('users.id', '=', 'sessions.user_id').onRef('users.company_id', '=', 'sessions.company_id'),
    )
    .innerJoin('companies', 'companies.id', 'sessions.company_id')
    .select(sessionColumns)
    .where('module_grant_sessions.grant_id', '=', grantId),
);

async function selectSession(db: Queryable, idHash: string) {
  return (await sessionByHash(db, idHash))[0];
}
export type SessionRow = NonNullable<Awaited<ReturnType<typeof selectSession>>>;

/**
 * When the session ends at the latest: the company's current absolute limit applies at
 * once (a shortened limit also ends older sessions sooner, a lengthened one never extends
 * the expiry stored at login).
 */
function absoluteEnd(row: SessionTimes, limits: SessionLimits): number {
  return Math.min(row.expiresAt, row.createdAt + limits.absoluteMinutes * 60_000);
}

interface SessionTimes {
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}
interface SessionLimits {
  idleMinutes: number;
  absoluteMinutes: number;
}

/** The time part of the rule: past the absolute limit (or the expiry stored at login), or idle too long, by `limits`. */
function timedOut(row: SessionTimes, limits: SessionLimits, now: number): boolean {
  return now >= absoluteEnd(row, limits) || now - row.lastSeenAt >= limits.idleMinutes * 60_000;
}

/**
 * The one rule for "this session is over", used for the browser and for every module
 * token the session led to: past its absolute limit, idle too long, user or company no
 * longer active, or signed in from an address the company's allowlist now excludes.
 */
function sessionIsOver(row: SessionRow, now: number): boolean {
  return (
    timedOut(row, row, now) ||
    row.userStatus !== 'active' ||
    row.companyStatus !== 'active' ||
    !ipAllowed(JSON.parse(row.ipAllowlist) as string[], row.ip)
  );
}

/**
 * Ends for good the company's sessions that are over by the time limits `limits`
 * (timedOut, the rule every read applies). A session is judged when it is next used, by the
 * limits then in force, so one that ended unseen would come back if a Master lengthened a
 * limit before its next use: the policy change calls this first, with the limits it
 * replaces. Answers the ended sessions' hashes, for the module tokens they led to.
 */
export async function endSessionsOverLimits(db: Queryable, now: number, companyId: string, limits: SessionLimits): Promise<string[]> {
  const rows = await db
    .selectFrom('sessions')
    .select(['id_hash', 'created_at', 'last_seen_at', 'expires_at'])
    .where('company_id', '=', companyId)
    .execute();
  const ended = rows
    .filter((row) => timedOut({ createdAt: Number(row.created_at), lastSeenAt: Number(row.last_seen_at), expiresAt: Number(row.expires_at) }, limits, now))
    .map((row) => row.id_hash);
  if (ended.length > 0) await db.deleteFrom('sessions').where('company_id', '=', companyId).where('id_hash', 'in', ended).execute();
  return ended;
}

/** Whether a passkey or security key signed this login (RFC 8176 amr: swk synced, hwk device-bound). */
export function signedWithKey(amr: readonly string[]): boolean {
  return amr.includes('hwk') || amr.includes('swk');
}

/**
 * Ends for good the sessions of a company's users (those with one of `whose.roles`, or the
 * one user `whose.userId`) whose login no key signed, and withdraws the step-up proofs of
 * those that go on: a company policy, or a new role, that now holds those users to keys
 * applies at once, as a tightened allowlist does. Answers the ended sessions' hashes, for
 * the module tokens they led to.
 */
export async function endSessionsWithoutKey(
  db: Queryable,
  companyId: string,
  whose: { roles: ReadonlyArray<'root_master' | 'master' | 'user'> } | { userId: string },
): Promise<string[]> {
  if ('roles' in whose && whose.roles.length === 0) return [];
  const rows = await db
    .selectFrom('sessions')
    .innerJoin('users', (join) => join.onRef('users.id', '=', 'sessions.user_id').onRef('users.company_id', '=', 'sessions.company_id'))
    .select(['sessions.id_hash as idHash', 'sessions.amr as amr'])
    .where('sessions.company_id', '=', companyId)
    .where((eb) => ('roles' in whose ? eb('users.role', 'in', whose.roles) : eb('users.id', '=', whose.userId)))
    .execute();
  const ended = rows.filter((row) => !signedWithKey(row.amr.split(' '))).map((row) => row.idHash);
  if (ended.length > 0) await db.deleteFrom('sessions').where('company_id', '=', companyId).where('id_hash', 'in', ended).execute();
  // The sessions a key signed go on, but a step-up proof they made since (Confirm it's
  // you) may have been the app's code, which the policy no longer accepts: the proof is
  // withdrawn, and their login (made with a key) is again the only proof they hold.
  const kept = rows.map((row) => row.idHash).filter((idHash) => !ended.includes(idHash));
  if (kept.length > 0) await db.updateTable('sessions').set({ proved_at: null }).where('company_id', '=', companyId).where('id_hash', 'in', kept).execute();
  return ended;
}

/**
 * The signed-in user for a cookie token, or undefined (expired, idle, disabled user, or
 * a request from an address outside the company's allowlist). `ip` is the request's
 * address: a cookie presented from outside the allowlist is refused, the session stays.
 */
export async function authenticateSession(db: Queryable, token: string, now: number, ip: string | null, use: SessionUse = 'use'): Promise<SignedIn | undefined> {
  const idHash = hashToken(token);
  return signedInFrom(db, idHash, await selectSession(db, idHash), now, ip, use);
}

/**
 * 'look': the request only looks whether the session is still live (a page left open,
 * web/src/session/useSessionWatch.ts); it is judged as any other, but is no use of the
 * session, so it never keeps an idle one alive; unless it comes from another address than
 * the session was last used from, which no page left open does (signedInFrom).
 */
export type SessionUse = 'use' | 'look';

/**
 * The session in `row` (read by its token's hash `idHash`, sessionRowByHash), judged as
 * every signed-in request judges it: over (then deleted), or from an address its
 * company's allowlist excludes, is no one; a session in use is touched now and then.
 */
export async function signedInFrom(db: Queryable, idHash: string, row: SessionRow | undefined, now: number, ip: string | null, use: SessionUse = 'use'): Promise<SignedIn | undefined> {
  if (!row) return undefined;
  if (sessionIsOver(row, now)) {
    await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    return undefined;
  }
  if (!ipAllowed(JSON.parse(row.ipAllowlist) as string[], ip)) return undefined;
  // A look from another address than the one last stored is a use: a page left open never
  // moves, and a copied cookie must not read from elsewhere unseen by marking its reads so.
  // (Until its first touch the session was last used where it was signed in.)
  const moved = ip !== (row.lastSeenIp ?? row.ip);
  if ((use === 'use' || moved) && isDueForTouch(row, now, moved)) {
    await db.updateTable('sessions').set({ last_seen_at: now, last_seen_ip: ip }).where('id_hash', '=', idHash).execute();
  }
  return {
    sessionHash: row.sessionHash,
    companyId: row.companyId,
    userId: row.userId,
    username: row.username,
    displayName: row.displayName,
    email: row.email,
    emailVerifiedAt: row.emailVerifiedAt,
    role: row.role,
    companyName: row.companyName,
    companyStatus: row.companyStatus,
    isOperator: isOperatorRow(row),
    amr: row.amr.split(' ').filter(Boolean),
    authTime: row.createdAt,
    // The login was a proof (every session is made by a finished login, second-factor.ts).
    provedAt: row.provedAt ?? row.createdAt,
    loginFor: row.loginFor,
    idleMinutes: row.idleMinutes,
    endsAt: absoluteEnd(row, row),
    idleEndsAt: (use === 'use' && now - row.lastSeenAt >= TOUCH_EVERY_MS ? now : row.lastSeenAt) + row.idleMinutes * 60_000,
  };
}

/**
 * Whether the session a module grant is bound to is still live, and when it ends at the
 * latest, without counting as activity: module tokens ask this (session-binding.ts), and
 * a module refreshing in the background must not keep an idle browser session alive.
 */
export async function liveSessionBehindGrant(db: Queryable, grantId: string, now: number): Promise<LiveSession | undefined> {
  return liveSessionOf((await sessionBehindGrant(db, grantId))[0], now);
}

export interface LiveSession {
  companyId: string;
  userId: string;
  endsAt: number;
  ipAllowlist: string[];
}

/** The live session in a row of `sessionColumns`, or undefined once it is over (or the row has none). */
export function liveSessionOf(row: SessionRow | undefined, now: number): LiveSession | undefined {
  if (!row || sessionIsOver(row, now)) return undefined;
  return {
    companyId: row.companyId,
    userId: row.userId,
    endsAt: absoluteEnd(row, row),
    ipAllowlist: JSON.parse(row.ipAllowlist) as string[],
  };
}

/**
 * An operator is a Master (or the Root Master) of the platform company: the one rule, the
 * same as for holding a platform API client's secret (holderQualifies, api-clients/store.ts).
 * A platform user made a User on its Company page is no operator any more (it kept the
 * console once, while its API clients stopped), and is one again when made a Master.
 */
function isOperatorRow(row: Pick<SessionRow, 'isPlatform' | 'role'>): boolean {
  return row.isPlatform === 1 && row.role !== 'user';
}

/** Whether this session proved it is its user less than FRESH_PROOF_MS ago. */
export function recentlyProved(signedIn: Pick<SignedIn, 'provedAt'>, now: number): boolean {
  return now - signedIn.provedAt < FRESH_PROOF_MS;
}

/**
 * Stamps a proof on this session (in the transaction that spent the proof), and says
 * until when it lets the session make sensitive changes. Only this session, and only in
 * the browser that gave it (step-up-proof.ts): another browser of the same user proves
 * for itself.
 */
export async function markProved(db: Queryable, me: Pick<SignedIn, 'sessionHash' | 'companyId' | 'userId'>, now: number): Promise<number> {
  const stamped = await db
    .updateTable('sessions')
    .set({ proved_at: now })
    .where('id_hash', '=', me.sessionHash)
    .where('company_id', '=', me.companyId)
    .where('user_id', '=', me.userId)
    .executeTakeFirst();
  if (Number(stamped.numUpdatedRows) !== 1) throw new GatehouseError('session.required');
  return now + FRESH_PROOF_MS;
}

/**
 * Whether a session is still stored for `token`: after authenticateSession refused it, a
 * session kept is one refused for the request's address alone (its company's allowlist),
 * which the same browser may use again from an allowed one.
 */
export async function sessionStillStored(db: Queryable, token: string): Promise<boolean> {
  return (await db.selectFrom('sessions').select('id_hash').where('id_hash', '=', hashToken(token)).executeTakeFirst()) !== undefined;
}

export async function endSession(db: Queryable, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', hashToken(token)).execute();
}

export async function endAllSessions(db: Queryable, companyId: string, userId: string): Promise<void> {
  await db.deleteFrom('sessions').where('company_id', '=', companyId).where('user_id', '=', userId).execute();
}

export { STEP_UP_PROOF_KEY, stepUpProofValue, withThisBrowsersProof } from './step-up-proof.ts';

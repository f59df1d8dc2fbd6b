// Browser sessions. The cookie holds a random token; the database keeps its hash. A
// session ends after its company's absolute limit whatever happens (default 12 hours),
// or after the company's idle timeout without use (default 30 minutes, NIST 800-63B
// AAL2 re-authentication), and a fresh id is minted at every login.
import { hashToken, randomToken } from '../crypto/index.ts';
import type { Queryable } from '../storage/index.ts';

/** Defaults; each company's policy sets its own (session_absolute_minutes, session_idle_minutes). */
export const SESSION_ABSOLUTE_MS = 12 * 3_600_000;
export const SESSION_IDLE_MS = 30 * 60_000;
/** Refresh last_seen_at at most this often, to keep reads cheap. */
const TOUCH_EVERY_MS = 60_000;

export async function createSession(
  db: Queryable,
  input: { companyId: string; userId: string; amr: string[]; ip: string | null; userAgent: string | null; ttlMs?: number; loginFor?: string | null },
  now: number,
): Promise<string> {
  const token = randomToken();
  await db
    .insertInto('sessions')
    .values({
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
    })
    .execute();
  return token;
}

export interface SignedIn {
  sessionHash: string;
  companyId: string;
  userId: string;
  username: string;
  displayName: string;
  email: string;
  role: 'root_master' | 'master' | 'user';
  companyName: string;
  companyStatus: 'active' | 'suspended';
  isOperator: boolean;
  amr: string[];
  authTime: number;
  /** The module interaction this login was made for (its return path), or null. */
  loginFor: string | null;
}

/** The signed-in user for a cookie token, or undefined (expired, idle, disabled user). */
export async function authenticateSession(db: Queryable, token: string, now: number): Promise<SignedIn | undefined> {
  const idHash = hashToken(token);
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', (join) =>
      join.onRef('users.id', '=', 'sessions.user_id').onRef('users.company_id', '=', 'sessions.company_id'),
    )
    .innerJoin('companies', 'companies.id', 'sessions.company_id')
    .select([
      'sessions.id_hash as sessionHash',
      'sessions.company_id as companyId',
      'sessions.user_id as userId',
      'sessions.amr as amr',
      'sessions.created_at as createdAt',
      'sessions.last_seen_at as lastSeenAt',
      'sessions.expires_at as expiresAt',
      'sessions.login_for as loginFor',
      'users.username as username',
      'users.display_name as displayName',
      'users.email as email',
      'users.role as role',
      'users.status as userStatus',
      'companies.name as companyName',
      'companies.status as companyStatus',
      'companies.is_platform as isPlatform',
      'companies.session_absolute_minutes as absoluteMinutes',
      'companies.session_idle_minutes as idleMinutes',
    ])
    .where('sessions.id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row) return undefined;
  // The company's current limits apply at once: a shortened limit also ends older
  // sessions sooner, a lengthened one never extends the expiry stored at login.
  const ends = Math.min(row.expiresAt, row.createdAt + row.absoluteMinutes * 60_000);
  const expired = now >= ends || now - row.lastSeenAt >= row.idleMinutes * 60_000;
  if (expired || row.userStatus !== 'active' || row.companyStatus !== 'active') {
    await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    return undefined;
  }
  if (now - row.lastSeenAt >= TOUCH_EVERY_MS) {
    await db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
  }
  return {
    sessionHash: row.sessionHash,
    companyId: row.companyId,
    userId: row.userId,
    username: row.username,
    displayName: row.displayName,
    email: row.email,
    role: row.role,
    companyName: row.companyName,
    companyStatus: row.companyStatus,
    isOperator: row.isPlatform === 1,
    amr: row.amr.split(' ').filter(Boolean),
    authTime: row.createdAt,
    loginFor: row.loginFor,
  };
}

export async function endSession(db: Queryable, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', hashToken(token)).execute();
}

export async function endAllSessions(db: Queryable, companyId: string, userId: string): Promise<void> {
  await db.deleteFrom('sessions').where('company_id', '=', companyId).where('user_id', '=', userId).execute();
}

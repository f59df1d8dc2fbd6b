// MFA compliance: who in a company has a second factor, who is still on the way there
// (invited: not signed up yet; not_enrolled: signed up but no second factor), and for how long.
// Disabled users cannot sign in, so they wait for nothing and count as neither. A key
// switched off (a copy of it was seen, src/login/key-copy.ts) is no second factor here: the
// report says who can sign in with one, though the login still counts it as enrolled
// (hasSecondFactor: the code step with a recovery code, never enrollment by password alone).
import { sql, type RawBuilder } from 'kysely';
import type { Queryable } from '../storage/index.ts';
import type { UsersTable } from '../storage/schema.ts';
// The rule itself; users/store.ts needs nothing of companies, so the deep import makes no cycle.
import { everActive } from '../users/store.ts';

const DAY_MS = 86_400_000;

export type PendingState = 'invited' | 'not_enrolled';

export interface ComplianceUser {
  id: string;
  username: string;
  role: UsersTable['role'];
  status: UsersTable['status'];
  enrolled: boolean;
  enrolledAt: string | null;
  /** The second factors the user has: the authenticator app, passkeys or security keys (how many). */
  factors: { app: boolean; keys: number };
  pending: PendingState | null;
  /** Whole days since the user was created, while they have not signed up. */
  inviteAgeDays: number | null;
  lastLoginAt: string | null;
}

export interface ComplianceTotals {
  users: number;
  enrolled: number;
  pending: number;
  disabled: number;
  /** Enrolled users among all users, 0-100, one decimal. */
  percentEnrolled: number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function percentOf(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((1000 * part) / whole) / 10;
}

export async function companyCompliance(db: Queryable, companyId: string, now: number) {
  const rows = await db
    .selectFrom('users')
    .select(['id', 'username', 'role', 'status', 'activated_at', 'password_hash', 'totp_enrolled_at', 'created_at', 'last_login_at'])
    .where('company_id', '=', companyId)
    .orderBy(sql`lower(username)`) // not username_key: a look-alike skeleton ("m" is "rn")
    .orderBy('username')
    .execute();
  const keyRows = await db
    .selectFrom('webauthn_credentials')
    .select((eb) => ['user_id', eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('first')])
    .where('company_id', '=', companyId)
    .where('switched_off_at', 'is', null)
    .groupBy('user_id')
    .execute();
  const keys = new Map(keyRows.map((r) => [r.user_id, { n: Number(r.n), first: Number(r.first) }]));
  // Enrolled users (the app or a key) who have logged in before last_login_at was kept.
  const lastLogins = await loginsFromTrail(db, companyId, rows.filter((u) => u.last_login_at === null && (u.totp_enrolled_at !== null || keys.has(u.id))).map((u) => u.id));
  const users: ComplianceUser[] = rows.map((u) => {
    const userKeys = keys.get(u.id);
    // A user who chose a key over the app at enrollment is enrolled too.
    const enrolledSince = u.totp_enrolled_at ?? userKeys?.first ?? null;
    const enrolled = enrolledSince !== null;
    // Not "has a password": a user the company's provider signed in has none and is no
    // invitee. A deactivated user keeps the answer of before (everActive, src/users).
    const signedUp = u.status === 'disabled' ? everActive(u) : u.status !== 'invited';
    const pending = u.status === 'disabled' || enrolled ? null : signedUp ? 'not_enrolled' : 'invited';
    return {
      id: u.id,
      username: u.username,
      role: u.role,
      status: u.status,
      enrolled,
      enrolledAt: iso(enrolledSince),
      factors: { app: u.totp_enrolled_at !== null, keys: userKeys?.n ?? 0 },
      pending,
      inviteAgeDays: signedUp ? null : Math.max(0, Math.floor((now - u.created_at) / DAY_MS)),
      lastLoginAt: iso(u.last_login_at ?? lastLogins.get(u.id) ?? null),
    };
  });
  return { users, totals: totalsOf(users) };
}

/**
 * Deactivated users cannot log in: they count as neither enrolled nor pending (the page
 * says so), whatever factors they kept, so enrolled, pending and deactivated add up to the
 * users, and the share enrolled is of those who can log in.
 */
function totalsOf(users: ComplianceUser[]): ComplianceTotals {
  const disabled = users.filter((u) => u.status === 'disabled').length;
  const enrolled = users.filter((u) => u.enrolled && u.status !== 'disabled').length;
  return {
    users: users.length,
    enrolled,
    pending: users.filter((u) => u.pending !== null).length,
    disabled,
    percentEnrolled: percentOf(enrolled, users.length - disabled),
  };
}

/** Logins from before users.last_login_at was kept: the trail has them. */
async function loginsFromTrail(db: Queryable, companyId: string, userIds: string[]) {
  if (userIds.length === 0) return new Map<string, number>();
  const rows = await db
    .selectFrom('audit_events')
    .select((eb) => ['actor_id', eb.fn.max('created_at').as('at')])
    .where('company_id', '=', companyId)
    .where('action', '=', 'login.succeeded')
    .where('actor_id', 'in', userIds)
    .groupBy('actor_id')
    .execute();
  return new Map(rows.flatMap((r) => (r.actor_id === null ? [] : [[r.actor_id, Number(r.at)] as const])));
}

/** Every company's totals, for the operators' overview. */
export async function complianceSummary(db: Queryable) {
  const hasKey = sql`exists (select 1 from webauthn_credentials w where w.company_id = u.company_id and w.user_id = u.id and w.switched_off_at is null)`;
  const count = (condition: RawBuilder<unknown>) => sql<number>`coalesce(sum(case when ${condition} then 1 else 0 end), 0)`;
  const rows = await db
    .selectFrom('companies as c')
    .leftJoin('users as u', 'u.company_id', 'c.id')
    .select([
      'c.id', 'c.name', 'c.status', 'c.is_platform',
      sql<number>`count(u.id)`.as('users'),
      // As totalsOf counts them: a deactivated user is neither enrolled nor pending.
      count(sql`(u.totp_enrolled_at is not null or ${hasKey}) and u.status <> 'disabled'`).as('enrolled'),
      count(sql`u.totp_enrolled_at is null and not ${hasKey} and u.status <> 'disabled'`).as('pending'),
      count(sql`u.status = 'disabled'`).as('disabled'),
    ])
    .groupBy(['c.id', 'c.name', 'c.status', 'c.is_platform'])
    .orderBy('c.name')
    .execute();
  return rows.map((r) => {
    const [users, enrolled, pending, disabled] = [r.users, r.enrolled, r.pending, r.disabled].map(Number) as [number, number, number, number];
    return {
      companyId: r.id,
      companyName: r.name,
      status: r.status,
      isPlatform: r.is_platform === 1,
      totals: { users, enrolled, pending, disabled, percentEnrolled: percentOf(enrolled, users - disabled) },
    };
  });
}

// A company's security policy, set by its Masters (defaults: the seed's password rule,
// 5 attempts then a 15-minute lock, 12 h sessions with 30 min idle, no IP restriction).
// It needs no other capability but audit and the modules' access ending (for a tightened
// allowlist or key requirement), so credentials can read it without a cycle.
import { recordAudit } from '../audit/index.ts';
import { GatehouseError } from '../errors.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { assertVersionRead, settingsVersion, type ReadAt } from '../shared/settings-version.ts';
import type { Queryable } from '../storage/index.ts';
import type { CompaniesTable } from '../storage/schema.ts';
import { sql, type Selectable } from 'kysely';
import { ipAllowed, MAX_ALLOWLIST_ENTRIES, parseRange } from './ip-ranges.ts';
import { endModuleAccess } from '../modules/backchannel/end-access.ts';
import { endSessionsOverLimits, endSessionsWithoutKey, signedWithKey } from '../sessions/index.ts';
import { queueCompanyNotice } from '../users/security-notices.ts';

import { DEFAULT_PASSWORD_RULE, PASSWORD_CLASSES, type PasswordClass } from '../contract/password-rules.ts';

export { PASSWORD_CLASSES, type PasswordClass };

export interface CompanyPolicy {
  passwordMinLength: number;
  passwordClasses: PasswordClass[];
  lockoutThreshold: number;
  lockoutMinutes: number;
  sessionAbsoluteMinutes: number;
  sessionIdleMinutes: number;
  ipAllowlist: string[];
  twoPerson2faReset: boolean;
  /** Who must sign in with a passkey or security key: the app's code no longer suffices for them. */
  phishingResistant: PhishingResistant;
}

export const PHISHING_RESISTANT = ['off', 'masters', 'everyone'] as const;
export type PhishingResistant = (typeof PHISHING_RESISTANT)[number];

/** Whether the policy requires a passkey or security key of a user with this role. */
export function keyRequired(policy: Pick<CompanyPolicy, 'phishingResistant'>, role: 'root_master' | 'master' | 'user'): boolean {
  return policy.phishingResistant === 'everyone' || (policy.phishingResistant === 'masters' && role !== 'user');
}

type Role = 'root_master' | 'master' | 'user';
const ROLES: readonly Role[] = ['root_master', 'master', 'user'];

/** The roles `next` holds to keys that `before` did not (none when the policy is loosened). */
function rolesNewlyHeldToKeys(before: Pick<CompanyPolicy, 'phishingResistant'>, next: Pick<CompanyPolicy, 'phishingResistant'>): Role[] {
  return ROLES.filter((role) => keyRequired(next, role) && !keyRequired(before, role));
}

/**
 * Ends at once the sessions no key signed of the users a policy or a new role now holds to
 * keys (`whose`), with the module tokens they led to (the modules are told): the app's code
 * that made them is what the policy no longer accepts. Users the policy held to keys
 * already keep theirs (a recovery code, the break-glass path, makes a session without a key).
 */
export async function endSessionsNowHeldToKeys(db: Queryable, now: number, companyId: string, whose: Parameters<typeof endSessionsWithoutKey>[2]) {
  const ended = await endSessionsWithoutKey(db, companyId, whose);
  await endModuleAccess(db, now, { sessionHashes: ended }, 'phishing_resistant_required');
}

/**
 * A Master whose own session no key signed cannot make the policy hold them to keys: the
 * change would end that session, and one without a key they can use would leave them
 * unable to sign in and set it back. As the allowlist must contain the saver's address,
 * the saver first signs in with a passkey or security key (adding one in My Settings).
 */
async function assertSaverKeepsSession(tx: Queryable, saver: { companyId: string; userId: string; sessionHash: string }, roles: Role[]) {
  const own = await tx
    .selectFrom('sessions')
    .innerJoin('users', (join) => join.onRef('users.id', '=', 'sessions.user_id').onRef('users.company_id', '=', 'sessions.company_id'))
    .select(['sessions.amr as amr', 'users.role as role'])
    .where('sessions.company_id', '=', saver.companyId)
    .where('sessions.user_id', '=', saver.userId)
    .where('sessions.id_hash', '=', saver.sessionHash)
    .executeTakeFirst();
  if (own && roles.includes(own.role) && !signedWithKey(own.amr.split(' '))) {
    throw new GatehouseError('policy.key_sign_in_required', {
      fields: {
        phishingResistant: 'You signed in without a passkey or security key, so this would end your session. Sign in with one first (add one in My Settings).',
      },
    });
  }
}

export const DEFAULT_POLICY: CompanyPolicy = Object.freeze({
  passwordMinLength: DEFAULT_PASSWORD_RULE.minLength,
  passwordClasses: DEFAULT_PASSWORD_RULE.classes,
  lockoutThreshold: 5,
  lockoutMinutes: 15,
  sessionAbsoluteMinutes: 720,
  sessionIdleMinutes: 30,
  ipAllowlist: [] as string[],
  twoPerson2faReset: false,
  phishingResistant: 'off',
});

/** Inclusive bounds; the idle timeout is also at most the absolute one. */
export const POLICY_LIMITS = Object.freeze({
  passwordMinLength: [8, 64],
  lockoutThreshold: [3, 20],
  lockoutMinutes: [1, 1440],
  sessionAbsoluteMinutes: [15, 1440],
  sessionIdleMinutes: [5, 1440],
} as const satisfies Record<string, readonly [number, number]>);

/** The companies columns a policy is read from (for a read that joins them, as the login's does). */
export const POLICY_COLUMNS = [
  'password_min_length',
  'password_classes',
  'lockout_threshold',
  'lockout_minutes',
  'session_absolute_minutes',
  'session_idle_minutes',
  'ip_allowlist',
  'two_person_2fa_reset',
  'phishing_resistant',
] as const;
type PolicyRow = Pick<Selectable<CompaniesTable>, (typeof POLICY_COLUMNS)[number]>;

/** The policy those columns hold. */
export function policyFromRow(row: PolicyRow): CompanyPolicy {
  return {
    passwordMinLength: row.password_min_length,
    passwordClasses: JSON.parse(row.password_classes) as PasswordClass[],
    lockoutThreshold: row.lockout_threshold,
    lockoutMinutes: row.lockout_minutes,
    sessionAbsoluteMinutes: row.session_absolute_minutes,
    sessionIdleMinutes: row.session_idle_minutes,
    ipAllowlist: JSON.parse(row.ip_allowlist) as string[],
    twoPerson2faReset: row.two_person_2fa_reset === 1,
    phishingResistant: row.phishing_resistant,
  };
}

/** The policy of a company; the defaults when the company is unknown. */
export async function getCompanyPolicy(db: Queryable, companyId: string): Promise<CompanyPolicy> {
  const row = await db.selectFrom('companies').select(POLICY_COLUMNS).where('id', '=', companyId).executeTakeFirst();
  return row ? policyFromRow(row) : DEFAULT_POLICY;
}

/** The change merged over the current policy, normalized; field messages when it is not valid. */
export function validatePolicy(current: CompanyPolicy, change: Partial<CompanyPolicy>) {
  const next: CompanyPolicy = { ...current, ...change };
  const fields: Record<string, string> = {};
  const labels = {
    passwordMinLength: 'Minimum length',
    lockoutThreshold: 'Failed attempts before a lock',
    lockoutMinutes: 'Lock duration (minutes)',
    sessionAbsoluteMinutes: 'Session limit (minutes)',
    sessionIdleMinutes: 'Idle timeout (minutes)',
  };
  for (const [key, [min, limit]] of Object.entries(POLICY_LIMITS) as [keyof typeof POLICY_LIMITS, readonly [number, number]][]) {
    const max = key === 'sessionIdleMinutes' ? Math.min(limit, next.sessionAbsoluteMinutes) : limit;
    const value = next[key];
    if (!Number.isInteger(value) || value < min || value > max) {
      fields[key] = `${labels[key]} must be a whole number from ${min} to ${max}.`;
    }
  }
  if (!next.passwordClasses.every((c) => PASSWORD_CLASSES.includes(c))) {
    fields.passwordClasses = 'Choose among lower, upper, digit and symbol.';
  }
  next.passwordClasses = PASSWORD_CLASSES.filter((c) => next.passwordClasses.includes(c));
  if (next.ipAllowlist.length > MAX_ALLOWLIST_ENTRIES) {
    fields.ipAllowlist = `At most ${MAX_ALLOWLIST_ENTRIES} ranges.`;
  }
  const ranges: string[] = [];
  next.ipAllowlist.forEach((entry, i) => {
    const parsed = parseRange(entry);
    if (!parsed.ok) fields[`ipAllowlist.${i}`] = parsed.message;
    else if (!ranges.includes(parsed.range)) ranges.push(parsed.range);
  });
  next.ipAllowlist = ranges;
  if (!PHISHING_RESISTANT.includes(next.phishingResistant)) fields.phishingResistant = 'Choose off, masters or everyone.';
  return { next, fields };
}

/**
 * A tightened allowlist ends at once every session signed in from an address it now
 * excludes, with the module tokens those sessions led to (the modules are told).
 */
async function endExcludedSessions(db: Queryable, now: number, companyId: string, allowlist: string[]) {
  if (allowlist.length === 0) return;
  const sessions = await db.selectFrom('sessions').select(['id_hash', 'ip']).where('company_id', '=', companyId).execute();
  const excluded = sessions.filter((session) => !ipAllowed(allowlist, session.ip)).map((session) => session.id_hash);
  if (excluded.length === 0) return;
  await db.deleteFrom('sessions').where('company_id', '=', companyId).where('id_hash', 'in', excluded).execute();
  await endModuleAccess(db, now, { sessionHashes: excluded }, 'ip_allowlist');
}

/**
 * Before a session limit changes: the sessions over by the limits it replaces end for good,
 * with their module tokens (the modules are told). A lengthened limit applies to the
 * sessions still running, never to one that had already timed out unseen.
 */
async function endSessionsTimedOut(db: Queryable, now: number, companyId: string, before: CompanyPolicy) {
  const ended = await endSessionsOverLimits(db, now, companyId, { idleMinutes: before.sessionIdleMinutes, absoluteMinutes: before.sessionAbsoluteMinutes });
  await endModuleAccess(db, now, { sessionHashes: ended }, 'session_timed_out');
}

function changedFields(before: CompanyPolicy, after: CompanyPolicy) {
  const keys = (Object.keys(after) as (keyof CompanyPolicy)[]).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  return {
    keys,
    before: Object.fromEntries(keys.map((k) => [k, before[k]])),
    after: Object.fromEntries(keys.map((k) => [k, after[k]])),
  };
}

/**
 * The two-person rule binds the Masters: a Master it stops from resetting a 2FA alone must
 * not be able to switch it off, reset, and switch it on again. Only the Root Master, in
 * person, switches it off (an API client never does: its secret may be any Master's).
 * Switching it on is anyone's to do.
 */
async function assertMaySwitchOffTwoPersonRule(tx: Queryable, who: { companyId: string; userId: string } | { companyId: string; apiClientId: string }) {
  const rootMaster =
    'userId' in who &&
    (await tx.selectFrom('users').select('id').where('company_id', '=', who.companyId).where('id', '=', who.userId).where('role', '=', 'root_master').where('status', '=', 'active').executeTakeFirst());
  if (!rootMaster) throw new GatehouseError('policy.two_person_root_only');
}

/**
 * Saves a Master's change to their company's policy (fields left out keep their value).
 * A new allowlist must contain the saver's own address, and a Master who makes the policy
 * hold them to keys must have signed in with one, so nobody locks themselves out.
 */
export async function updateCompanyPolicy(
  deps: CoreDeps,
  /** The company, and who saves: a Master (userId, in the session sessionHash) or an API client of the company (apiClientId). */
  who: { companyId: string; userId: string; sessionHash: string } | { companyId: string; apiClientId: string },
  change: Partial<CompanyPolicy>,
  meta: RequestMeta,
  /** The versions the saver's form was read at (If-Match): the save is refused if the policy is not one of them now. */
  readAt?: ReadAt,
): Promise<CompanyPolicy> {
  const saved = await deps.db.transaction().execute(async (tx) => {
    // The company's row locked before the policy is read (an update that changes nothing
    // locks it on PostgreSQL; SQLite's transactions hold the database): two saves at once
    // each merge into what the other stored, so neither silently undoes the other's
    // change (a two-person rule switched on, then off again by a form read before).
    await tx.updateTable('companies').set({ lockout_threshold: sql`lockout_threshold` }).where('id', '=', who.companyId).execute();
    const before = await getCompanyPolicy(tx, who.companyId);
    assertVersionRead(readAt, settingsVersion(before));
    const { next, fields } = validatePolicy(before, change);
    if (Object.keys(fields).length > 0) throw new GatehouseError('request.invalid', { fields });
    if (change.ipAllowlist !== undefined && !ipAllowed(next.ipAllowlist, meta.ip)) {
      throw new GatehouseError('policy.locks_out_self', {
        fields: {
          ipAllowlist: `Your current address (${meta.ip ?? 'unknown'}) is not in this list. Add it, or you could not log in again.`,
        },
      });
    }
    const diff = changedFields(before, next);
    if (diff.keys.length === 0) return next;
    if (before.twoPerson2faReset && !next.twoPerson2faReset) await assertMaySwitchOffTwoPersonRule(tx, who);
    const heldToKeys = rolesNewlyHeldToKeys(before, next);
    if (heldToKeys.length > 0 && 'userId' in who) await assertSaverKeepsSession(tx, who, heldToKeys);
    if (diff.keys.includes('sessionIdleMinutes') || diff.keys.includes('sessionAbsoluteMinutes')) {
      await endSessionsTimedOut(tx, deps.clock(), who.companyId, before);
    }
    await tx
      .updateTable('companies')
      .set({
        password_min_length: next.passwordMinLength,
        password_classes: JSON.stringify(next.passwordClasses),
        lockout_threshold: next.lockoutThreshold,
        lockout_minutes: next.lockoutMinutes,
        session_absolute_minutes: next.sessionAbsoluteMinutes,
        session_idle_minutes: next.sessionIdleMinutes,
        ip_allowlist: JSON.stringify(next.ipAllowlist),
        two_person_2fa_reset: next.twoPerson2faReset ? 1 : 0,
        phishing_resistant: next.phishingResistant,
      })
      .where('id', '=', who.companyId)
      .execute();
    if (diff.keys.includes('ipAllowlist')) await endExcludedSessions(tx, deps.clock(), who.companyId, next.ipAllowlist);
    if (heldToKeys.length > 0) await endSessionsNowHeldToKeys(tx, deps.clock(), who.companyId, { roles: heldToKeys });
    await recordAudit(tx, deps.clock(), {
      companyId: who.companyId,
      ...('apiClientId' in who ? { actorId: null, actorClientId: who.apiClientId } : { actorId: who.userId }),
      action: 'policy.changed',
      target: who.companyId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { before: diff.before, after: diff.after },
    });
    // A weaker policy (2FA reset alone, any address, shorter passwords) outlives the session
    // that made it: every Master is told which settings changed (security-notices.ts).
    await queueCompanyNotice(deps, tx, who, 'policy_changed', diff.keys.map((key) => POLICY_LABELS[key]).join(', '), true);
    return next;
  });
  deps.mailQueued();
  return saved;
}

/** A policy setting as a notice names it. */
const POLICY_LABELS: Record<keyof CompanyPolicy, string> = {
  passwordMinLength: 'minimum password length',
  passwordClasses: 'password character classes',
  lockoutThreshold: 'failed attempts before a lock',
  lockoutMinutes: 'lock duration',
  sessionAbsoluteMinutes: 'session limit',
  sessionIdleMinutes: 'idle timeout',
  ipAllowlist: 'allowed addresses (IP allowlist)',
  twoPerson2faReset: 'two-person rule for 2FA resets',
  phishingResistant: 'passkey or security key requirement',
};

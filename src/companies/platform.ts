// The platform's own company: its users are the operators. They sign in through the same
// identifier-first login with 2FA as everyone else; there is no second login system and
// no default password. The first operator is set up through a one-time Sign Up link.
import { recordAudit, type AuditEvent } from '../audit/index.ts';
import { GatehouseError } from '../errors.ts';
import type { CoreDeps } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import { createUser, findUserByUsername, issueSignupLink, type Role } from '../users/index.ts';
import { createCompany, getPlatformCompany, type CompanyRow } from './store.ts';

export const FIRST_OPERATOR_USERNAME = 'admin';

export async function ensurePlatformCompany(deps: CoreDeps): Promise<CompanyRow> {
  const existing = await getPlatformCompany(deps.db);
  if (existing) return existing;
  try {
    return await createCompany(deps.db, { name: deps.config.platformName, isPlatform: true }, deps.clock());
  } catch (error) {
    // Another node created it at the same moment.
    const created = await getPlatformCompany(deps.db);
    if (created) return created;
    throw error;
  }
}

/** Who acts, for the trail: the CLI (`cli`), or no actor for the server itself. */
type AuditActor = Pick<AuditEvent, 'actorId' | 'ip' | 'userAgent'>;
const SERVER_START: AuditActor = { actorId: null, ip: null, userAgent: null };

/** Whether any operator has set a password (the platform made, as ensurePlatformCompany does). */
export async function operatorSignedUp(db: Queryable, platformId: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').where('company_id', '=', platformId).where('password_hash', 'is not', null).executeTakeFirst();
  return row !== undefined;
}

/**
 * While no operator has set a password, each start issues a fresh one-time link for the
 * first operator (revoking the previous one). Returns undefined once someone has. The
 * link sets the password of a Root Master of the platform, so issuing it (and creating
 * that user, the first time) is audited; `by` is the CLI's `operator setup-link`, or
 * omitted for a server start.
 */
export async function firstOperatorSetup(deps: CoreDeps, by: AuditActor = SERVER_START) {
  const platform = await ensurePlatformCompany(deps);
  if (await operatorSignedUp(deps.db, platform.id)) return undefined;
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    // Two nodes starting together, or `gatehouse operator setup-link` during a start, take
    // turns here (the platform's row locked, a write that changes nothing): each revokes the
    // link the one before it issued, so one link is live, and the first operator is made once.
    await tx.updateTable('companies').set((eb) => ({ status: eb.ref('status') })).where('id', '=', platform.id).execute();
    const audit = (action: string, userId: string, detail: Record<string, unknown>) =>
      recordAudit(tx, now, { companyId: platform.id, ...by, action, target: userId, detail });
    let user = await findUserByUsername(tx, platform.id, FIRST_OPERATOR_USERNAME);
    if (!user) {
      user = await createUser(
        tx,
        platform.id,
        { username: FIRST_OPERATOR_USERNAME, email: 'operator@localhost', displayName: 'Operator', role: 'root_master' },
        now,
        deps.config.companyTotals.users,
      );
      await audit('operator.created', user.id, { username: user.username, role: user.role });
    }
    const link = await issueSignupLink(tx, platform.id, user.id, now, deps.config.linkTtlMs);
    await audit('operator.setup_link_issued', user.id, { username: user.username, expiresAt: link.expiresAt });
    return {
      url: new URL(`/signup/${link.token}`, deps.config.publicUrl).toString(),
      username: user.username,
      companyName: platform.name,
    };
  });
}

/** `gatehouse operator create`: another operator, with a one-time link to set a password. */
export async function createOperator(
  deps: CoreDeps,
  input: { username: string; email: string; displayName?: string | undefined; role?: Role },
  by: AuditActor,
) {
  const platform = await ensurePlatformCompany(deps);
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    // The first operator comes first (docs/OPERATIONS.md): an operator who signed up before
    // them would leave the platform's Root Master with no password that anyone could set
    // (no first-operator link is issued once an operator has one). The platform's row is
    // taken in turn with firstOperatorSetup.
    await tx.updateTable('companies').set((eb) => ({ status: eb.ref('status') })).where('id', '=', platform.id).execute();
    if (!(await operatorSignedUp(tx, platform.id))) throw new GatehouseError('operator.first_not_set_up');
    const user = await createUser(
      tx,
      platform.id,
      { username: input.username, email: input.email, displayName: input.displayName ?? input.username, role: input.role ?? 'master' },
      now,
      deps.config.companyTotals.users,
    );
    const link = await issueSignupLink(tx, platform.id, user.id, now, deps.config.linkTtlMs);
    await recordAudit(tx, now, {
      companyId: platform.id,
      ...by,
      action: 'operator.created',
      target: user.id,
      detail: { username: user.username, role: user.role },
    });
    return {
      url: new URL(`/signup/${link.token}`, deps.config.publicUrl).toString(),
      username: user.username,
      companyName: platform.name,
    };
  });
}

// The break-glass promise: while a company has a provider switched on, at least one active
// Master (or the Root Master) named break-glass keeps a password and 2FA, so a broken
// provider cannot lock the company out. Every change that could break it (deactivate,
// delete, demote, reset 2FA, approve a reset, un-mark, switch a provider on, transfer the
// Root Master) takes the company's lock first and checks after its own writes, in its
// transaction: two Masters removing the last two break-glass users at once queue on the
// lock, and the second sees the first's change.
import { GatehouseError } from '../errors.ts';
import { lockCompany } from '../companies/store.ts';
import type { Queryable } from '../storage/index.ts';
import { hasSecondFactor } from './store.ts';

/** The company's lock (lockCompany), taken first by every change that could break the promise. */
export async function lockCompanyForBreakGlass(db: Queryable, companyId: string): Promise<void> {
  await lockCompany(db, companyId);
}

/**
 * At least one active Master keeps a password and 2FA, and is named break-glass. Their
 * second factor is the authenticator app or a passkey or security key (a stronger one).
 */
export async function breakGlassReady(db: Queryable, companyId: string, without?: string): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('users.id')
    .where('users.company_id', '=', companyId)
    .where('users.sso_break_glass', '=', 1)
    .where('users.role', 'in', ['master', 'root_master'])
    .where('users.status', '=', 'active')
    .where('users.password_hash', 'is not', null)
    .where(hasSecondFactor)
    .$if(without !== undefined, (qb) => qb.where('users.id', '<>', without as string))
    .executeTakeFirst();
  return row !== undefined;
}

async function providerOn(db: Queryable, companyId: string): Promise<boolean> {
  const on = await db.selectFrom('sso_providers').select('id').where('company_id', '=', companyId).where('enabled', '=', 1).executeTakeFirst();
  return on !== undefined;
}

/**
 * After a change to users, inside its transaction (the company lock taken before it):
 * refuses, rolling the change back, when a provider is on and no break-glass Master is left.
 */
export async function assertBreakGlassKept(db: Queryable, companyId: string): Promise<void> {
  if ((await providerOn(db, companyId)) && !(await breakGlassReady(db, companyId))) throw new GatehouseError('user.last_break_glass');
}

/**
 * Before asking for a change that would take this user's break-glass readiness (a 2FA
 * reset waiting for a second Master): refused now, not only when a Master approves it.
 */
export async function assertBreakGlassKeptWithout(db: Queryable, companyId: string, userId: string): Promise<void> {
  if ((await providerOn(db, companyId)) && !(await breakGlassReady(db, companyId, userId))) throw new GatehouseError('user.last_break_glass');
}

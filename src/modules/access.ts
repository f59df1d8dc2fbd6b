// Who may use a module: the company must have it granted and switched on, and once any
// of the company's groups names the module, only members of those groups may see it in
// the launcher or sign in to it. A module no group names stays open to every user of the
// company, so a company without groups works as before. Masters follow the same rule:
// groups decide module access, not roles (the admin console is not a module).
import { expressionBuilder, sql, type Expression } from 'kysely';
import { lockCompany } from '../companies/store.ts';
import { hashToken } from '../crypto/index.ts';
import { sessionRowByHash, signedInFrom, type SignedIn } from '../sessions/index.ts';
import type { Database, Queryable } from '../storage/index.ts';
import { fixedQuery } from '../shared/fixed-query.ts';
import { endModuleAccess } from './backchannel/end-access.ts';
import { companyModules } from './store.ts';

/** Why a user may not use a module, or that they may. */
export type ModuleAccess = 'allowed' | 'not_enabled' | 'not_in_group';

const truthy = (value: unknown) => value === true || Number(value) === 1;

/**
 * What the access decision reads, as three columns any query can select when it has the
 * company, the user and the client at hand: the module's grant to the company switched on,
 * whether any of the company's groups names it, and whether one of them holds the user.
 * Each may be a value or a column of the outer query (a token's read brings its own).
 */
type Operand = string | Expression<string>;
export function moduleAccessColumns(companyId: Operand, userId: Operand, clientId: Operand) {
  const eb = expressionBuilder<Database, never>();
  const namingGroups = () =>
    eb
      .selectFrom('group_modules')
      .innerJoin('modules', 'modules.id', 'group_modules.module_id')
      .select('group_modules.group_id')
      .where('group_modules.company_id', '=', companyId)
      .where('modules.client_id', '=', clientId);
  return [
    eb
      .selectFrom('company_modules')
      .innerJoin('modules', 'modules.id', 'company_modules.module_id')
      .select('company_modules.enabled')
      .where('company_modules.company_id', '=', companyId)
      .where('modules.client_id', '=', clientId)
      .$asScalar()
      .as('moduleEnabled'),
    eb.exists(namingGroups()).as('moduleRestricted'),
    eb
      .exists(
        namingGroups()
          .innerJoin('group_members', 'group_members.group_id', 'group_modules.group_id')
          .where('group_members.company_id', '=', companyId)
          .where('group_members.user_id', '=', userId),
      )
      .as('userInGroup'),
  ] as const;
}

/** The decision from those columns. */
export function moduleAccessOf(row: { moduleEnabled: unknown; moduleRestricted: unknown; userInGroup: unknown } | undefined): ModuleAccess {
  if (row === undefined || Number(row.moduleEnabled) !== 1) return 'not_enabled';
  return truthy(row.moduleRestricted) && !truthy(row.userInGroup) ? 'not_in_group' : 'allowed';
}

// Asked by every authorization: compiled once (fixed-query.ts).
const accessRow = fixedQuery((db, companyId: string, userId: string, clientId: string) =>
  db.selectNoFrom(moduleAccessColumns(companyId, userId, clientId)),
);

/** The access decision for one user and one client (a token in use, an authorization). */
export async function moduleAccessFor(db: Queryable, companyId: string, userId: string, clientId: string): Promise<ModuleAccess> {
  return moduleAccessOf((await accessRow(db, companyId, userId, clientId))[0]);
}

// A module's sign-in asks for the browser's session and then for its user's access to the
// module: one statement for both (the resume's gate, shared with the provider's login checks).
const sessionWithAccessRow = fixedQuery((db, idHash: string, clientId: string) =>
  sessionRowByHash(db, idHash).select(moduleAccessColumns(sql.ref<string>('sessions.company_id'), sql.ref<string>('sessions.user_id'), clientId)),
);

export interface SignedInWithAccess {
  signedIn: SignedIn;
  /** The signed-in user's access to the client asked about. */
  access: ModuleAccess;
}

/**
 * The browser's session (judged as authenticateSession judges it) with its user's access
 * to client `clientId`, in one read.
 */
export async function authenticateSessionWithAccess(db: Queryable, token: string, now: number, ip: string | null, clientId: string): Promise<SignedInWithAccess | undefined> {
  const idHash = hashToken(token);
  const [row] = await sessionWithAccessRow(db, idHash, clientId);
  const signedIn = await signedInFrom(db, idHash, row, now, ip);
  return signedIn && row ? { signedIn, access: moduleAccessOf(row) } : undefined;
}

/** May this user sign in to this client now? */
export async function userMayUse(db: Queryable, companyId: string, userId: string, clientId: string): Promise<boolean> {
  return (await moduleAccessFor(db, companyId, userId, clientId)) === 'allowed';
}

/** The launcher: the company's switched-on modules this user may open. */
export async function modulesForUser(db: Queryable, companyId: string, userId: string) {
  const [granted, restricted, mine] = await Promise.all([
    companyModules(db, companyId),
    db.selectFrom('group_modules').select('module_id').distinct().where('company_id', '=', companyId).execute(),
    db
      .selectFrom('group_modules')
      .innerJoin('group_members', 'group_members.group_id', 'group_modules.group_id')
      .select('group_modules.module_id')
      .distinct()
      .where('group_modules.company_id', '=', companyId)
      .where('group_members.company_id', '=', companyId)
      .where('group_members.user_id', '=', userId)
      .execute(),
  ]);
  const closed = new Set(restricted.map((r) => r.module_id));
  const open = new Set(mine.map((r) => r.module_id));
  return granted.filter((m) => m.enabled === 1 && (!closed.has(m.id) || open.has(m.id)));
}

/**
 * The company's group changes that may take module access away take turns: each holds the
 * company's row (a no-op UPDATE, for both engines) until its transaction ends. Otherwise,
 * on PostgreSQL (READ COMMITTED), two at once (a user leaving one group while another group
 * of theirs drops the module) each still saw the other's group giving access, neither ended
 * the user's tokens, and introspection kept them active with no logout notice sent. Taken
 * again by endLostModuleAccess (a no-op then); a caller takes it before its own writes so
 * the lock order is the company's row first, as the break-glass changes take it.
 */
export async function lockAccessDecisions(db: Queryable, companyId: string): Promise<void> {
  await lockCompany(db, companyId);
}

/**
 * After a change to groups (members, a group's modules, a group deleted): every module
 * grant of the company whose user may no longer use its module ends, with its tokens,
 * and the module is told. In the caller's transaction, so access ends when the change
 * commits; decided under the company's lock (lockAccessDecisions), so each decision sees
 * every other group change committed before it. Only live grants are looked at, narrowed
 * to the user or the modules the change concerns when the caller knows them, so a large
 * company costs little.
 */
export async function endLostModuleAccess(
  db: Queryable,
  companyId: string,
  now: number,
  reason: string,
  concerning: { userId?: string; moduleIds?: readonly string[] } = {},
): Promise<void> {
  const { userId, moduleIds } = concerning;
  if (moduleIds?.length === 0) return;
  await lockAccessDecisions(db, companyId);
  let held = db
    .selectFrom('module_grant_sessions')
    .select(['module_grant_sessions.user_id as userId', 'module_grant_sessions.client_id as clientId'])
    .distinct()
    .where('module_grant_sessions.company_id', '=', companyId);
  if (userId !== undefined) held = held.where('module_grant_sessions.user_id', '=', userId);
  if (moduleIds !== undefined) {
    held = held
      .innerJoin('modules', 'modules.client_id', 'module_grant_sessions.client_id')
      .where('modules.id', 'in', [...moduleIds]);
  }
  for (const grant of await held.execute()) {
    if (!(await userMayUse(db, companyId, grant.userId, grant.clientId))) {
      await endModuleAccess(db, now, { companyId, userId: grant.userId, clientId: grant.clientId }, reason);
    }
  }
}

// A company's Masters (or its API client) manage groups: create, rename, delete, add and
// remove members, choose the group's modules. Each change is one transaction with its
// audit event, and any module access it takes away ends in that same transaction
// (endLostModuleAccess): tokens stop, and modules with a back-channel logout URI are told.
import { recordAudit } from '../audit/index.ts';
import { newId } from '../crypto/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import { endLostModuleAccess, lockAccessDecisions } from '../modules/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { assertVersionRead, type ReadAt } from '../shared/settings-version.ts';
import { caseKey, invisibleCharacterProblem, nameKey, tidyName } from '../shared/text.ts';
import { isUniqueViolation, type Queryable } from '../storage/index.ts';
import { getUser, lockUser, type Actor } from '../users/index.ts';
import { lockedRoomFor } from '../users/company-totals.ts';
import { groupModulesVersion, listGroups, lockGroup, type GroupSummary } from './store.ts';

/** The reason back-channel logout notices give when a group change ends access. */
const ACCESS_REASON = 'group_changed';

function assertAdministrator(actor: Actor): void {
  if (actor.role !== 'master' && actor.role !== 'root_master') throw new GatehouseError('auth.forbidden');
}

/** Records a group event with the actor named as the users capability names it. */
async function audit(db: Queryable, now: number, actor: Actor, action: string, target: string, meta: RequestMeta, detail: Record<string, unknown>) {
  const named = actor.kind === 'user' ? { actorUsername: actor.username } : { actorClientName: actor.name };
  await recordAudit(db, now, {
    companyId: actor.companyId,
    actorId: actor.kind === 'user' ? actor.userId : null,
    actorClientId: actor.kind === 'api_client' ? actor.apiClientId : null,
    action,
    target,
    ip: meta.ip,
    userAgent: meta.userAgent,
    detail: { ...named, ...detail },
  });
}

/** The name as saved (tidyName), held to the name rule in that form: "Bⁱ̇lling" is "Bi̇lling", refused. */
function checkedName(name: string): { name: string; name_key: string; case_key: string } {
  const saved = tidyName(name);
  const problem = invisibleCharacterProblem(saved);
  if (problem) throw new GatehouseError('request.invalid', { fields: { name: `Group name ${problem}` } });
  return { name: saved, name_key: nameKey(saved), case_key: caseKey(saved) };
}

/** A lost race for a name surfaces as the unique index's violation: the registered error. */
async function namedWrite<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw new GatehouseError('group.name_taken', { cause: error });
    throw error;
  }
}

/**
 * The group a change is made to, locked for the change's transaction (lockGroup): two
 * changes of its modules at once take turns (each deleting what the other inserted), and
 * one racing the group's deletion finds it gone (404), never a foreign key error.
 */
async function groupOf(db: Queryable, actor: Actor, groupId: string, mayTakeAccess = false) {
  assertAdministrator(actor);
  // A change that may take module access away waits its turn on the company's row first
  // (lockAccessDecisions: two such changes at once must not each count on the other's
  // group), before the group's: one lock order for every such change.
  if (mayTakeAccess) await lockAccessDecisions(db, actor.companyId);
  const group = await lockGroup(db, actor.companyId, groupId);
  assertThat(group, 'request.not_found');
  return group;
}

async function viewOf(db: Queryable, companyId: string, groupId: string): Promise<GroupSummary> {
  const [group] = await listGroups(db, companyId, groupId);
  assertThat(group, 'request.not_found');
  return group;
}

/**
 * A new group, within the company's total (GATEHOUSE_GROUPS_PER_COMPANY, or
 * group.too_many): counted with the company's row locked, the first lock of this
 * transaction as of every group change that takes it (lockAccessDecisions).
 */
export async function createGroup(deps: CoreDeps, actor: Actor, name: string, meta: RequestMeta): Promise<GroupSummary> {
  assertAdministrator(actor);
  const values = checkedName(name);
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    if (!(await lockedRoomFor(tx, 'groups', actor.companyId, deps.config.companyTotals.groups))) throw new GatehouseError('group.too_many');
    const id = newId();
    await namedWrite(() => tx.insertInto('groups').values({ id, company_id: actor.companyId, ...values, created_at: now }).execute());
    await audit(tx, now, actor, 'group.created', id, meta, { group: values.name });
    return viewOf(tx, actor.companyId, id);
  });
}

export async function renameGroup(deps: CoreDeps, actor: Actor, groupId: string, name: string, meta: RequestMeta): Promise<GroupSummary> {
  const values = checkedName(name);
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const group = await groupOf(tx, actor, groupId);
    if (group.name !== values.name) {
      await namedWrite(() => tx.updateTable('groups').set(values).where('company_id', '=', actor.companyId).where('id', '=', group.id).execute());
      await audit(tx, now, actor, 'group.renamed', group.id, meta, { group: values.name, from: group.name });
    }
    return viewOf(tx, actor.companyId, group.id);
  });
}

/** Members and module choices go with the group (cascade); access it gave ends now. */
export async function deleteGroup(deps: CoreDeps, actor: Actor, groupId: string, meta: RequestMeta): Promise<void> {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const group = await groupOf(tx, actor, groupId, true);
    const gave = await tx.selectFrom('group_modules').select('module_id').where('company_id', '=', actor.companyId).where('group_id', '=', group.id).execute();
    await tx.deleteFrom('groups').where('company_id', '=', actor.companyId).where('id', '=', group.id).execute();
    await endLostModuleAccess(tx, actor.companyId, now, ACCESS_REASON, { moduleIds: gave.map((r) => r.module_id) });
    await audit(tx, now, actor, 'group.deleted', group.id, meta, { group: group.name });
  });
}

export async function addGroupMember(deps: CoreDeps, actor: Actor, groupId: string, userId: string, meta: RequestMeta): Promise<GroupSummary> {
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const group = await groupOf(tx, actor, groupId);
    // Locked too (after the group, the one order every change here takes): a deletion of
    // the user racing this either went first (404) or waits for the membership.
    const user = await lockUser(tx, actor.companyId, userId);
    assertThat(user, 'request.not_found');
    const added = await tx
      .insertInto('group_members')
      .values({ group_id: group.id, company_id: actor.companyId, user_id: user.id, added_at: now })
      .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing())
      .returning('user_id')
      .executeTakeFirst();
    if (added) {
      await audit(tx, now, actor, 'group.member_added', group.id, meta, { group: group.name, username: user.username, userId: user.id });
    }
    return viewOf(tx, actor.companyId, group.id);
  });
}

export async function removeGroupMember(deps: CoreDeps, actor: Actor, groupId: string, userId: string, meta: RequestMeta): Promise<GroupSummary> {
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const group = await groupOf(tx, actor, groupId, true);
    const user = await getUser(tx, actor.companyId, userId);
    assertThat(user, 'request.not_found');
    const removed = await tx
      .deleteFrom('group_members')
      .where('company_id', '=', actor.companyId)
      .where('group_id', '=', group.id)
      .where('user_id', '=', user.id)
      .executeTakeFirst();
    if (Number(removed.numDeletedRows) > 0) {
      await endLostModuleAccess(tx, actor.companyId, now, ACCESS_REASON, { userId: user.id });
      await audit(tx, now, actor, 'group.member_removed', group.id, meta, { group: group.name, username: user.username, userId: user.id });
    }
    return viewOf(tx, actor.companyId, group.id);
  });
}

/**
 * The group's modules become exactly `moduleIds`, each a module granted to the company
 * (another one is "not found"). Naming a module for the first time closes it to everyone
 * outside the company's groups that name it, so access may end for many users at once.
 * `readAt` (If-Match) refuses it if they changed since the page read them.
 */
export async function setGroupModules(deps: CoreDeps, actor: Actor, groupId: string, moduleIds: string[], meta: RequestMeta, readAt?: ReadAt): Promise<GroupSummary> {
  const wanted = [...new Set(moduleIds)];
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const group = await groupOf(tx, actor, groupId, true);
    if (readAt !== undefined) assertVersionRead(readAt, groupModulesVersion(await viewOf(tx, actor.companyId, group.id)));
    const granted =
      wanted.length === 0
        ? []
        : await tx
            .selectFrom('company_modules')
            .innerJoin('modules', 'modules.id', 'company_modules.module_id')
            .select(['modules.id as id', 'modules.name as name'])
            .where('company_modules.company_id', '=', actor.companyId)
            .where('company_modules.module_id', 'in', wanted)
            .execute();
    assertThat(granted.length === wanted.length, 'request.not_found');
    // Only modules the company has now: a module an operator took away keeps its rows, so
    // that a new grant finds it closed to the same groups, and a page cannot show it to keep.
    const before = await tx
      .selectFrom('group_modules')
      .innerJoin('company_modules', (join) =>
        join.onRef('company_modules.module_id', '=', 'group_modules.module_id').onRef('company_modules.company_id', '=', 'group_modules.company_id'),
      )
      .select('group_modules.module_id as module_id')
      .where('group_modules.company_id', '=', actor.companyId)
      .where('group_modules.group_id', '=', group.id)
      .execute();
    const had = new Set(before.map((r) => r.module_id));
    const added = wanted.filter((id) => !had.has(id));
    const removed = [...had].filter((id) => !wanted.includes(id));
    if (added.length === 0 && removed.length === 0) return viewOf(tx, actor.companyId, group.id);
    if (removed.length > 0) {
      await tx.deleteFrom('group_modules').where('company_id', '=', actor.companyId).where('group_id', '=', group.id).where('module_id', 'in', removed).execute();
    }
    if (added.length > 0) {
      await tx.insertInto('group_modules').values(added.map((id) => ({ group_id: group.id, company_id: actor.companyId, module_id: id }))).execute();
    }
    // A module added closes it to non-members; one taken away may leave members without it.
    await endLostModuleAccess(tx, actor.companyId, now, ACCESS_REASON, { moduleIds: [...added, ...removed] });
    const names = granted.map((m) => m.name).sort();
    await audit(tx, now, actor, 'group.modules_changed', group.id, meta, { group: group.name, modules: names });
    return viewOf(tx, actor.companyId, group.id);
  });
}

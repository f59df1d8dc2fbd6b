// Group rows, always read within their company: another company's group id is simply
// not found. A group's modules are listed only while the company still has them granted.
import { sql } from 'kysely';
import { settingsVersion } from '../shared/settings-version.ts';
import type { Queryable } from '../storage/index.ts';

export interface GroupSummary {
  id: string;
  name: string;
  createdAt: number;
  members: { id: string; username: string; displayName: string }[];
  modules: { id: string; name: string }[];
}

/**
 * The version of the group's module choice (src/shared/settings-version.ts): the modules
 * it shows, in any order. The choice is saved as a whole list, so a Master's page that
 * still shows an older list must not take away a module another Master ticked since.
 */
export function groupModulesVersion(group: Pick<GroupSummary, 'modules'>): string {
  return settingsVersion(group.modules.map((m) => m.id).sort());
}

/**
 * The group, with its row locked until the transaction ends (a no-op UPDATE ... RETURNING,
 * for both engines): what a change writes under the group (members, modules) then never
 * meets a deletion or another change of the group halfway; those wait, or went first.
 */
export async function lockGroup(db: Queryable, companyId: string, groupId: string) {
  return db.updateTable('groups').set({ name: sql`name` }).where('company_id', '=', companyId).where('id', '=', groupId).returningAll().executeTakeFirst();
}

/** The company's groups by name, each with its members and modules; `groupId` for one. */
export async function listGroups(db: Queryable, companyId: string, groupId?: string): Promise<GroupSummary[]> {
  let groups = db.selectFrom('groups').select(['id', 'name', 'created_at']).where('company_id', '=', companyId);
  if (groupId !== undefined) groups = groups.where('id', '=', groupId);
  const rows = await groups.orderBy('name_key').execute();
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [members, modules] = await Promise.all([
    db
      .selectFrom('group_members')
      .innerJoin('users', (join) => join.onRef('users.id', '=', 'group_members.user_id').onRef('users.company_id', '=', 'group_members.company_id'))
      .select(['group_members.group_id as groupId', 'users.id as id', 'users.username as username', 'users.display_name as displayName'])
      .where('group_members.company_id', '=', companyId)
      .where('group_members.group_id', 'in', ids)
      .orderBy('users.username_key')
      .execute(),
    db
      .selectFrom('group_modules')
      .innerJoin('company_modules', (join) =>
        join.onRef('company_modules.module_id', '=', 'group_modules.module_id').onRef('company_modules.company_id', '=', 'group_modules.company_id'),
      )
      .innerJoin('modules', 'modules.id', 'group_modules.module_id')
      .select(['group_modules.group_id as groupId', 'modules.id as id', 'modules.name as name'])
      .where('group_modules.company_id', '=', companyId)
      .where('group_modules.group_id', 'in', ids)
      .orderBy('modules.name')
      .execute(),
  ]);
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    createdAt: Number(row.created_at),
    members: members.filter((m) => m.groupId === row.id).map(({ id, username, displayName }) => ({ id, username, displayName })),
    modules: modules.filter((m) => m.groupId === row.id).map(({ id, name }) => ({ id, name })),
  }));
}

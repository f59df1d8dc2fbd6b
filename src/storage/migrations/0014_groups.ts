// Groups: a company's Masters put users in groups and choose, per group, which of the
// company's granted modules its members may see and sign in to. A module that no group
// of the company names stays open to every user of the company (src/modules/access.ts).
// Members and module choices go with their group, their user or their module (cascade),
// so deleting a user or a group needs no extra step.
import type { Kysely } from 'kysely';

const bigint = 'bigint' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    /** src/shared/text.ts nameKey; look_key, a second key, was dropped by migration 0016. */
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('look_key', 'text', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('groups_company_name_key').on('groups').columns(['company_id', 'name_key']).unique().execute();
  await db.schema.createIndex('groups_company_look_key').on('groups').columns(['company_id', 'look_key']).unique().execute();

  await db.schema
    .createTable('group_members')
    .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('company_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('added_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
    .execute();
  await db.schema.createIndex('group_members_user').on('group_members').columns(['company_id', 'user_id']).execute();

  await db.schema
    .createTable('group_modules')
    .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('company_id', 'text', (c) => c.notNull())
    .addColumn('module_id', 'text', (c) => c.notNull().references('modules.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('group_modules_pk', ['group_id', 'module_id'])
    .execute();
  await db.schema.createIndex('group_modules_module').on('group_modules').columns(['company_id', 'module_id']).execute();
}

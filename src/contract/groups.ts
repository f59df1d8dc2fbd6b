// Groups: a company's Masters put users in groups and choose which of the company's
// granted modules each group may see and sign in to. Once any group has a module, only
// members of such groups get it; a module no group has stays open to everyone.
import { z } from 'zod';
import { time } from './common.ts';
import { anId, name } from './fields.ts';

/** How many modules one request may name (more than any company is granted). */
export const MAX_GROUP_MODULES = 200;

/** How long a group's name may be, saved; as typed, typedLimit of it (fields.ts). */
export const GROUP_NAME_MAX = 100;

export const groupNameBody = z.object({ name: name('Group name', GROUP_NAME_MAX) });
export const groupMemberBody = z.object({ userId: anId({ error: 'Choose a user of your company.' }) });
export const groupModulesBody = z.object({
  moduleIds: z
    .array(anId({ error: 'Not a module id.' }), { error: 'Send a list of module ids.' })
    .max(MAX_GROUP_MODULES, `At most ${MAX_GROUP_MODULES} modules.`),
});
export const groupMemberParams = z.object({ id: anId(), userId: anId() });

export const group = z.object({
  id: z.uuid(),
  name: z.string(),
  createdAt: time,
  members: z.array(z.object({ id: z.uuid(), username: z.string(), displayName: z.string() })),
  /** The modules members may use (only those the company still has granted). */
  modules: z.array(z.object({ id: z.uuid(), name: z.string() })),
  /** The version of `modules`: send it as If-Match when choosing the group's modules, so a choice made on an older list is refused (412) rather than undoing a newer one. */
  modulesVersion: z.string(),
});
export const groupList = z.object({ groups: z.array(group) });
export const oneGroup = z.object({ group });

// /api/v1: the same, under the company's path.
export const apiGroupParams = z.object({ companyId: anId(), groupId: anId() });
export const apiGroupMemberParams = z.object({ companyId: anId(), groupId: anId(), userId: anId() });

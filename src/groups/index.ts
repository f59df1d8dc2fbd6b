// The groups door: a company's groups of users, and which granted modules each may use.
// The access rule itself (who may see and sign in to a module) is the modules
// capability's (src/modules/access.ts), so the provider asks no one else.
export { addGroupMember, createGroup, deleteGroup, removeGroupMember, renameGroup, setGroupModules } from './admin.ts';
export { groupModulesVersion, listGroups, type GroupSummary } from './store.ts';
export { MAX_CLAIMED_GROUP_NAMES, replaceMembershipsByGroupNames, type MembershipSync } from './sync.ts';

// Groups for a company's Masters (docs/API.md "Groups"): which users are in which group,
// and which of the company's modules each group may use.
import { get, post, postIfUnchanged, postOnce, seg } from '../api';

export type { Group } from '@contract';
import type { Group } from '@contract';

type Empty = Record<string, never>;
const one = (path: string, body: unknown = {}) => post<{ group: Group }>(path, body);

export const groupsApi = {
  list: () => get<{ groups: Group[] }>('/company/groups'),
  /** `idempotencyKey`: the submission's (useApiForm), so a retry after a lost answer is answered, not refused as taken. */
  create: (name: string, idempotencyKey?: string) => postOnce<{ group: Group }>('/company/groups', { name }, idempotencyKey),
  rename: (id: string, name: string) => one(`/company/groups/${seg(id)}/rename`, { name }),
  remove: (id: string) => post<Empty>(`/company/groups/${seg(id)}/delete`),
  addMember: (id: string, userId: string) => one(`/company/groups/${seg(id)}/members`, { userId }),
  removeMember: (id: string, userId: string) => one(`/company/groups/${seg(id)}/members/${seg(userId)}/remove`),
  /** The whole choice, made on the list the page shows (`readAt`, the group's modulesVersion). */
  setModules: (id: string, moduleIds: string[], readAt: string) => postIfUnchanged<{ group: Group }>(`/company/groups/${seg(id)}/modules`, readAt, { moduleIds }),
};

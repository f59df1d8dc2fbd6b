// Company administration for Masters and the Root Master (docs/API.md "Company
// administration"): users, invitations, roles, 2FA resets, approvals, security policy.
import { get, post, postIfUnchanged, postOnce, seg } from '../api';

// The answers' types come from the server's own schemas (src/contract/types.ts).
export type { Approval, BulkInviteReport, BulkInviteRow, CompanyUser, Policy, PolicyAnswer, ResetOutcome, UserSession } from '@contract';
import type { Approval, BulkInviteReport, CompanyUser, Policy, PolicyAnswer, ResetOutcome, UserSession } from '@contract';

export type CompanyRole = 'root_master' | 'master' | 'user';
export type InvitableRole = 'master' | 'user';
export type UserStatus = 'invited' | 'not_enrolled' | 'active' | 'disabled';

export interface InviteInput {
  email: string;
  username: string;
  role: InvitableRole;
  displayName?: string;
}


type Empty = Record<string, never>;
const user = (id: string, action: string, body: unknown = {}) => post<Empty>(`/company/users/${seg(id)}/${action}`, body);

export const adminApi = {
  users: () => get<{ users: CompanyUser[] }>('/company/users'),
  /** `idempotencyKey`: the submission's (useApiForm), so a retry after a lost answer is answered, not refused as taken. */
  invite: (input: InviteInput, idempotencyKey?: string) => postOnce<{ user: CompanyUser }>('/company/users', input, idempotencyKey),
  bulkInvite: (csv: string, idempotencyKey?: string) => postOnce<BulkInviteReport>('/company/users/bulk-invite', { csv }, idempotencyKey),
  resendInvite: (id: string) => post<{ inviteExpiresAt: string }>(`/company/users/${seg(id)}/resend-invite`),
  deactivate: (id: string) => user(id, 'deactivate'),
  reactivate: (id: string) => user(id, 'reactivate'),
  remove: (id: string) => user(id, 'delete'),
  unlock: (id: string) => user(id, 'unlock'),
  resetTwoFactor: (id: string) => post<ResetOutcome>(`/company/users/${seg(id)}/reset-2fa`),
  changeRole: (id: string, role: InvitableRole) => user(id, 'role', { role }),
  transferRootMaster: (id: string) => user(id, 'transfer-root-master'),
  sessions: (id: string) => get<{ sessions: UserSession[] }>(`/company/users/${seg(id)}/sessions`),
  endSession: (id: string, handle: string) => post<Empty>(`/company/users/${seg(id)}/sessions/${seg(handle)}/end`),
  endAllSessions: (id: string) => user(id, 'sessions/end-all'),

  approvals: () => get<{ approvals: Approval[] }>('/company/approvals'),
  approve: (id: string) => post<Empty>(`/company/approvals/${seg(id)}/approve`),
  reject: (id: string) => post<Empty>(`/company/approvals/${seg(id)}/reject`),

  policy: () => get<PolicyAnswer>('/company/policy'),
  savePolicy: (change: Partial<Policy>, readAt: string) => postIfUnchanged<PolicyAnswer>('/company/policy', readAt, change),
};

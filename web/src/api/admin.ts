// Company administration for Masters and the Root Master (docs/API.md "Company
// administration"): users, invitations, roles, 2FA resets, approvals, security policy.
import { get, post, seg, type PasswordClass } from '../api';

export type CompanyRole = 'root_master' | 'master' | 'user';
export type InvitableRole = 'master' | 'user';
export type UserStatus = 'invited' | 'not_enrolled' | 'active' | 'disabled';

export interface CompanyUser {
  id: string;
  username: string;
  displayName: string;
  email: string;
  role: CompanyRole;
  status: UserStatus;
  locked: boolean;
  lockedUntil: string | null;
  createdAt: string;
  ageHours: number;
  invitedBy: { id: string; username: string } | null;
  invite: { sentAt: string; expiresAt: string; expired: boolean } | null;
  lastLoginAt: string | null;
}

export interface InviteInput {
  email: string;
  username: string;
  role: InvitableRole;
  displayName?: string;
}

export interface BulkInviteRow {
  row: number;
  email: string;
  username: string;
  status: 'invited' | 'refused';
  reason?: string;
}

export interface BulkInviteReport {
  invited: number;
  refused: number;
  rows: BulkInviteRow[];
}

export type ResetOutcome = { status: 'reset' } | { status: 'pending'; approvalId: string };

export interface Approval {
  id: string;
  action: 'reset_2fa';
  target: { id: string; username: string };
  requestedBy: { id: string; username: string | null };
  createdAt: string;
  canApprove: boolean;
}

export interface Policy {
  passwordMinLength: number;
  passwordClasses: PasswordClass[];
  lockoutThreshold: number;
  lockoutMinutes: number;
  sessionAbsoluteMinutes: number;
  sessionIdleMinutes: number;
  ipAllowlist: string[];
  twoPerson2faReset: boolean;
}

export interface PolicyAnswer {
  policy: Policy;
  limits: {
    passwordMinLength: [number, number];
    lockoutThreshold: [number, number];
    lockoutMinutes: [number, number];
    sessionAbsoluteMinutes: [number, number];
    sessionIdleMinutes: [number, number];
    ipAllowlistEntries: number;
    passwordClasses: PasswordClass[];
  };
  currentIp: string | null;
}

type Empty = Record<string, never>;
const user = (id: string, action: string, body: unknown = {}) => post<Empty>(`/company/users/${seg(id)}/${action}`, body);

export const adminApi = {
  users: () => get<{ users: CompanyUser[] }>('/company/users'),
  invite: (input: InviteInput) => post<{ user: CompanyUser }>('/company/users', input),
  bulkInvite: (csv: string) => post<BulkInviteReport>('/company/users/bulk-invite', { csv }),
  resendInvite: (id: string) => post<{ inviteExpiresAt: string }>(`/company/users/${seg(id)}/resend-invite`),
  deactivate: (id: string) => user(id, 'deactivate'),
  reactivate: (id: string) => user(id, 'reactivate'),
  remove: (id: string) => user(id, 'delete'),
  unlock: (id: string) => user(id, 'unlock'),
  resetTwoFactor: (id: string) => post<ResetOutcome>(`/company/users/${seg(id)}/reset-2fa`),
  changeRole: (id: string, role: InvitableRole) => user(id, 'role', { role }),
  transferRootMaster: (id: string) => user(id, 'transfer-root-master'),

  approvals: () => get<{ approvals: Approval[] }>('/company/approvals'),
  approve: (id: string) => post<Empty>(`/company/approvals/${seg(id)}/approve`),
  reject: (id: string) => post<Empty>(`/company/approvals/${seg(id)}/reject`),

  policy: () => get<PolicyAnswer>('/company/policy'),
  savePolicy: (change: Partial<Policy>) => post<PolicyAnswer>('/company/policy', change),
};

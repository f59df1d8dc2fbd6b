import type { Me } from '../../api';
import type { CompanyUser } from '../../api/admin';

export type UserAction = 'sessions' | 'resend' | 'deactivate' | 'reactivate' | 'unlock' | 'reset2fa' | 'role' | 'transfer' | 'delete';

/**
 * What the menu offers for a row: only what the server would allow (docs/API.md: nobody
 * acts on their own account, a Master never on the Root Master) and what makes sense in
 * the user's state. The server still decides.
 */
export function actionsFor(user: CompanyUser, me: Me): UserAction[] {
  if (user.id === me.user.id) return [];
  const iAmRoot = me.user.role === 'root_master';
  if (user.role === 'root_master' && !iAmRoot) return [];
  // Harmless ones first; those that end access or cannot be undone after a divider.
  const actions: UserAction[] = [];
  if (user.status === 'invited') actions.push('resend');
  if (user.locked) actions.push('unlock');
  if (user.status === 'disabled') actions.push('reactivate');
  if (user.role !== 'root_master') actions.push('role');
  if (user.status === 'active' || user.status === 'not_enrolled') actions.push('sessions');
  if (user.status === 'active') actions.push('reset2fa');
  if (iAmRoot && user.status === 'active' && user.role !== 'root_master') actions.push('transfer');
  if (user.status !== 'disabled') actions.push('deactivate');
  if (user.role !== 'root_master') actions.push('delete');
  return actions;
}

export const ACTION_LABELS: Record<UserAction, string> = {
  sessions: 'Sessions',
  resend: 'Resend Invite',
  deactivate: 'Deactivate',
  reactivate: 'Reactivate',
  unlock: 'Unlock',
  reset2fa: 'Reset 2FA',
  role: 'Change Role',
  transfer: 'Transfer Root Master',
  delete: 'Delete',
};

/** Actions that end access or cannot be undone are shown in red. */
export const DANGEROUS: ReadonlySet<UserAction> = new Set(['deactivate', 'reset2fa', 'transfer', 'delete']);

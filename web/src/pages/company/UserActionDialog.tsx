import { Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { adminApi, type CompanyUser, type ResetOutcome } from '../../api/admin';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { formatTime } from '../../format';
import { ACTION_LABELS, DANGEROUS, type UserAction } from './userActions';

/** Every action but Change Role and Sessions, which have their own dialogs. */
export type ConfirmableAction = Exclude<UserAction, 'role' | 'sessions'>;

interface Wording {
  title: string;
  body: ReactNode;
  call: (user: CompanyUser) => Promise<unknown>;
  /** The notice after it worked. */
  done: (user: CompanyUser, result: unknown) => string;
}

const who = (user: CompanyUser) => <strong>{user.username}</strong>;

function wording(action: ConfirmableAction, user: CompanyUser): Wording {
  switch (action) {
    case 'resend':
      return {
        title: 'Resend invite',
        body: <>Send a new invite email to <strong>{user.email}</strong>? The link in the earlier invite stops working.</>,
        call: (u) => adminApi.resendInvite(u.id),
        done: (u, result) => {
          const expires = formatTime((result as { inviteExpiresAt?: string }).inviteExpiresAt);
          return `A new invite was sent to ${u.email}${expires ? `; its link works until ${expires}` : ''}.`;
        },
      };
    case 'deactivate':
      return {
        title: 'Deactivate user',
        body: (
          <>
            Deactivate {who(user)}? They are signed out of Gatehouse and every module at once, their unused email links
            stop working, and they cannot log in until a Master reactivates them.
          </>
        ),
        call: (u) => adminApi.deactivate(u.id),
        done: (u) => `${u.username} is deactivated and signed out everywhere.`,
      };
    case 'reactivate':
      return {
        title: 'Reactivate user',
        body: (
          <>
            Reactivate {who(user)}? They can log in again. If they never set a password, send them a new invite
            afterwards.
          </>
        ),
        call: (u) => adminApi.reactivate(u.id),
        done: (u) => `${u.username} is reactivated.`,
      };
    case 'unlock':
      return {
        title: 'Unlock user',
        body: <>Unlock {who(user)}? Their failed attempts are cleared and they can log in at once.</>,
        call: (u) => adminApi.unlock(u.id),
        done: (u) => `${u.username} is unlocked.`,
      };
    case 'reset2fa':
      return {
        title: 'Reset 2FA',
        body: (
          <>
            Reset two-factor authentication for {who(user)}? Their authenticator app and recovery codes stop working,
            they are signed out everywhere, and they set up 2FA again at their next login. If your company requires a
            second Master's approval, nothing changes until another Master approves.
          </>
        ),
        call: (u) => adminApi.resetTwoFactor(u.id),
        done: (u, result) =>
          (result as ResetOutcome).status === 'pending'
            ? `The 2FA reset for ${u.username} is waiting for another Master's approval (see Approvals).`
            : `2FA is reset for ${u.username}. They set it up again at their next login.`,
      };
    case 'transfer':
      return {
        title: 'Transfer Root Master',
        body: (
          <>
            Make {who(user)} the Root Master? You become a Master. A company has exactly one Root Master, and only{' '}
            {user.username} can transfer the role from then on.
          </>
        ),
        call: (u) => adminApi.transferRootMaster(u.id),
        done: (u) => `${u.username} is now the Root Master; you are a Master.`,
      };
    case 'delete':
      return {
        title: 'Delete user',
        body: (
          <>
            Delete {who(user)} ({user.email})? Their account, sessions and module access are removed for good. The audit
            log keeps what they did, and the username becomes free again.
          </>
        ),
        call: (u) => adminApi.remove(u.id),
        done: (u) => `${u.username} is deleted.`,
      };
  }
}

interface UserActionDialogProps {
  action: ConfirmableAction | null;
  user: CompanyUser | null;
  onClose: () => void;
  onDone: (message: string, action: ConfirmableAction) => void;
}

export function UserActionDialog({ action, user, onClose, onDone }: UserActionDialogProps) {
  const words = action && user ? wording(action, user) : null;
  return (
    <ConfirmDialog
      opened={words !== null}
      title={words?.title ?? ''}
      confirmLabel={action ? ACTION_LABELS[action] : ''}
      danger={action ? DANGEROUS.has(action) : false}
      onClose={onClose}
      onConfirm={() => (words && user ? words.call(user) : Promise.resolve(undefined))}
      onDone={(result) => {
        if (words && user && action) onDone(words.done(user, result), action);
      }}
    >
      <Text size="sm">{words?.body}</Text>
    </ConfirmDialog>
  );
}

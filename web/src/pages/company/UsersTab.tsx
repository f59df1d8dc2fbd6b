import { Badge, Button, Group, Stack, Table, Text, TextInput, Tooltip, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import type { Me } from '../../api';
import { adminApi, type CompanyUser } from '../../api/admin';
import { LoadingState } from '../../components/LoadingState';
import { formatAge, formatTime, humanize } from '../../format';
import { keys, useApiQuery, useInvalidate } from '../../data';
import { LoadError } from '../../components/LoadError';
import { Notice } from '../../components/Notice';
import { BulkInviteDialog } from './BulkInviteDialog';
import { ChangeRoleDialog } from './ChangeRoleDialog';
import { InviteDialog } from './InviteDialog';
import { NoAccess } from '../../components/NoAccess';
import { UserActionDialog, type ConfirmableAction } from './UserActionDialog';
import { UserActionsMenu } from './UserActionsMenu';
import { UserSessionsDialog } from './UserSessionsDialog';
import { UserStatusBadge } from '../../components/UserStatusBadge';
import { actionsFor, type UserAction } from './userActions';
import { ScrollTable } from '../../components/ScrollTable';

type Dialog = { kind: 'invite' } | { kind: 'bulk' } | { kind: UserAction; user: CompanyUser } | null;

function InviteAge({ user }: { user: CompanyUser }) {
  if (user.status !== 'invited') return <Text size="sm" c="dimmed">—</Text>;
  return (
    <Group gap={6} wrap="nowrap">
      <Text size="sm" title={user.invite ? `Sent ${formatTime(user.invite.sentAt)}` : undefined}>
        {formatAge(user.ageHours)}
      </Text>
      {user.invite?.expired && (
        <Badge color="gray" variant="outline" tt="none" size="sm">
          Link expired
        </Badge>
      )}
      {!user.invite && (
        <Badge color="gray" variant="outline" tt="none" size="sm">
          No live link
        </Badge>
      )}
    </Group>
  );
}

function UserRow({ user, me, onChoose }: { user: CompanyUser; me: Me; onChoose: (action: UserAction, user: CompanyUser) => void }) {
  const actions = actionsFor(user, me);
  const isMe = user.id === me.user.id;
  return (
    <Table.Tr>
      <Table.Td>
        <Text fw={600} size="sm" style={{ overflowWrap: 'anywhere' }}>
          {user.username}
          {isMe && <Text span c="dimmed" fw={400}> (you)</Text>}
        </Text>
      </Table.Td>
      <Table.Td><Text size="sm" style={{ overflowWrap: 'anywhere' }}>{user.displayName}</Text></Table.Td>
      <Table.Td><Text size="sm" style={{ overflowWrap: 'anywhere' }}>{user.email}</Text></Table.Td>
      <Table.Td><Text size="sm">{humanize(user.role)}</Text></Table.Td>
      <Table.Td>
        <Group gap={6} wrap="nowrap">
          <UserStatusBadge status={user.status} />
          {user.keySwitchedOff && (
            // A copy of the key was seen: the user removes it in My Settings and adds a key again.
            <Tooltip label="A copy of one of their keys was seen; it signs in no one until they remove it and add a key again" withArrow>
              <Badge color="orange" variant="outline" tt="none" tabIndex={0}>
                Key switched off
              </Badge>
            </Tooltip>
          )}
          {user.locked && (
            <Tooltip label={`Locked until ${formatTime(user.lockedUntil)}`} withArrow>
              <Badge color="red" variant="filled" tt="none" tabIndex={0}>
                Locked
              </Badge>
            </Tooltip>
          )}
        </Group>
      </Table.Td>
      <Table.Td><InviteAge user={user} /></Table.Td>
      <Table.Td><Text size="sm">{formatTime(user.lastLoginAt) || 'Never'}</Text></Table.Td>
      <Table.Td>
        {actions.length > 0 ? (
          <UserActionsMenu user={user} actions={actions} onChoose={onChoose} />
        ) : (
          // Why there is no menu: the server refuses these anyway (docs/API.md).
          <Text size="xs" c="dimmed">{isMe ? 'In My Settings' : 'Root Master'}</Text>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

export function UsersTab({ me }: { me: Me }) {
  const { data, error, loading, reload } = useApiQuery(keys.company.users, adminApi.users);
  const invalidate = useInvalidate();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [search, setSearch] = useState('');

  const finished = (message: string) => {
    setDialog(null);
    setNotice(message);
    // A user's change shows in the approvals and the compliance view too.
    void invalidate(keys.company.all);
  };

  const all = data?.users ?? [];
  // A bulk invite makes long lists: narrow them by what a Master remembers of someone.
  const needle = search.trim().toLowerCase();
  const users = needle
    ? all.filter((u) => [u.username, u.displayName ?? '', u.email].some((text) => text.toLowerCase().includes(needle)))
    : all;
  const confirmable = dialog && 'user' in dialog && dialog.kind !== 'role' && dialog.kind !== 'sessions' ? (dialog as { kind: ConfirmableAction; user: CompanyUser }) : null;

  if (error?.status === 403) return <NoAccess place="company" />;

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <Group gap="sm">
          <TextInput
            aria-label="Search users"
            placeholder="Search by name or email"
            size="sm"
            w={240}
            type="search"
            value={search}
            onChange={(event) => setSearch(event.currentTarget.value)}
          />
          <Text size="sm" c="dimmed" aria-live="polite">
            {data ? (needle ? `${users.length} of ${all.length}` : `${all.length} ${all.length === 1 ? 'user' : 'users'}`) : ''}
          </Text>
        </Group>
        <Group gap="xs">
          <Button variant="default" onClick={() => void reload()} loading={loading && data !== null}>
            Refresh
          </Button>
          <Button variant="default" onClick={() => setDialog({ kind: 'bulk' })}>
            Bulk Invite
          </Button>
          <Button onClick={() => setDialog({ kind: 'invite' })}>Invite User</Button>
        </Group>
      </Group>
      <Notice message={notice} onClose={() => setNotice(null)} />
      {error && <LoadError place="company" error={error} onRetry={() => void reload()} />}
      {!error && data === null && <LoadingState label="Loading users…" />}
      {!error && data !== null && needle && users.length === 0 && (
        <Text c="dimmed" ta="center" py="xl">No user matches “{search.trim()}”.</Text>
      )}
      {!error && users.length > 0 && (
        <ScrollTable label="Users" minWidth={980}>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Username</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Email</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Invite age</Table.Th>
                <Table.Th>Last login</Table.Th>
                <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.map((user) => (
                <UserRow key={user.id} user={user} me={me} onChoose={(kind, target) => setDialog({ kind, user: target })} />
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}

      <InviteDialog
        opened={dialog?.kind === 'invite'}
        companyName={me.company.name}
        onClose={() => setDialog(null)}
        onInvited={(user) => finished(`Invitation sent to ${user.email}. ${user.username} shows as Invited until they set a password.`)}
      />
      <BulkInviteDialog
        opened={dialog?.kind === 'bulk'}
        onClose={() => setDialog(null)}
        onProcessed={() => void invalidate(keys.company.all)}
      />
      <ChangeRoleDialog
        user={dialog?.kind === 'role' ? dialog.user : null}
        onClose={() => setDialog(null)}
        onChanged={(user, role) => finished(`${user.username} is now a ${humanize(role)}.`)}
      />
      <UserSessionsDialog user={dialog?.kind === 'sessions' ? dialog.user : null} onClose={() => setDialog(null)} onEnded={finished} />
      <UserActionDialog
        action={confirmable?.kind ?? null}
        user={confirmable?.user ?? null}
        onClose={() => setDialog(null)}
        onDone={(message, action) => {
          finished(message);
          // The signed-in user's own role changes with a Root Master transfer.
          if (action === 'transfer') void invalidate(keys.session);
        }}
      />
    </Stack>
  );
}

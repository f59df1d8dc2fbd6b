import { Badge, Table, Text } from '@mantine/core';
import type { ComplianceUser } from '../../api/audit';
import { formatTime, humanize } from '../../format';
import { UserStatusBadge } from '../../components/UserStatusBadge';
import { ScrollTable } from '../../components/ScrollTable';

/** "App, 2 keys": what the user can sign in with, so a Master sees who still relies on codes alone. */
function factorsOf(user: ComplianceUser): string {
  const parts = [...(user.factors.app ? ['App'] : []), ...(user.factors.keys > 0 ? [user.factors.keys === 1 ? '1 key' : `${user.factors.keys} keys`] : [])];
  return parts.join(', ');
}

function TwoFactor({ user }: { user: ComplianceUser }) {
  // Counted as neither enrolled nor pending (the totals): whatever factors they kept.
  if (user.status === 'disabled') return <Text size="sm" c="dimmed">Not needed (deactivated)</Text>;
  if (user.enrolled) {
    return (
      <>
        <Badge color="teal" variant="light" tt="none">Enrolled</Badge>
        {user.enrolledAt && <Text size="xs" c="dimmed" mt={2}>since {formatTime(user.enrolledAt)}</Text>}
        <Text size="xs" c="dimmed">{factorsOf(user)}</Text>
      </>
    );
  }
  if (user.pending === 'invited') return <Badge color="blue" variant="light" tt="none">Pending: not signed up</Badge>;
  if (user.pending === 'not_enrolled') return <Badge color="orange" variant="light" tt="none">Pending: no 2FA yet</Badge>;
  return <Text size="sm" c="dimmed">Not needed (deactivated)</Text>;
}

const days = (value: number | null) => (value === null ? '—' : value === 1 ? '1 day' : `${value} days`);

/** One row per user: enrolled or what they still have to do, and for how long. */
export function ComplianceUsers({ users }: { users: ComplianceUser[] }) {
  if (users.length === 0) return <Text c="dimmed" ta="center" py="xl">This company has no users yet.</Text>;
  return (
    <ScrollTable label="Two-factor authentication by user" minWidth={760}>
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Username</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Two-factor</Table.Th>
            <Table.Th>Invite age</Table.Th>
            <Table.Th>Last login</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {users.map((user) => (
            <Table.Tr key={user.id}>
              <Table.Td><Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>{user.username}</Text></Table.Td>
              <Table.Td><Text size="sm">{humanize(user.role)}</Text></Table.Td>
              <Table.Td><UserStatusBadge status={user.status} /></Table.Td>
              <Table.Td><TwoFactor user={user} /></Table.Td>
              <Table.Td><Text size="sm">{days(user.inviteAgeDays)}</Text></Table.Td>
              <Table.Td><Text size="sm">{formatTime(user.lastLoginAt) || 'Never'}</Text></Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  );
}

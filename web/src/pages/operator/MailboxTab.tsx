import { Anchor, Button, Group, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { api, type MailFilter } from '../../api';
import { LoadingState } from '../../components/LoadingState';
import { StatusBadge } from '../../components/StatusBadge';
import { formatTime } from '../../format';
import { keys, useApiQuery } from '../../data';
import { LoadError } from '../../components/LoadError';
import { MailDialog } from './MailDialog';
import { ScrollTable } from '../../components/ScrollTable';

// Failed shows every message given up on, however many were sent after it (the list
// otherwise holds the 200 newest).
const filters: { value: MailFilter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'failed', label: 'Failed' },
  { value: 'pending', label: 'Pending' },
  { value: 'sent', label: 'Sent' },
];

const emptyText: Record<MailFilter, string> = {
  all: 'No mail yet.',
  failed: 'No failed mail.',
  pending: 'Nothing waiting to be sent.',
  sent: 'No mail sent yet.',
};

/** Outgoing mail: the local mailbox in the embedded setup, and the outbox's delivery state. */
export function MailboxTab() {
  const [filter, setFilter] = useState<MailFilter>('all');
  // Under the mail key: whatever invalidates the mail list invalidates every filter's.
  const { data, error, loading, reload } = useApiQuery([...keys.operator.mail, { filter }], () => api.operator.mail(filter));
  const [openId, setOpenId] = useState<string | null>(null);
  const messages = [...(data?.messages ?? [])].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <Group gap="sm" wrap="wrap">
          <SegmentedControl aria-label="Show mail" value={filter} onChange={(value) => setFilter(value as MailFilter)} data={filters} />
          <Text size="sm" c="dimmed">Newest first. Open a message to read it and follow its links.</Text>
        </Group>
        <Button variant="default" onClick={() => void reload()} loading={loading && data !== null}>
          Refresh
        </Button>
      </Group>
      {error && <LoadError place="operator" error={error} onRetry={() => void reload()} />}
      {!error && data === null && <LoadingState label="Loading mail…" />}
      {!error && data !== null && messages.length === 0 && (
        <Text c="dimmed" ta="center" py="xl">{emptyText[filter]}</Text>
      )}
      {!error && messages.length > 0 && (
        <ScrollTable label="Outgoing mail" minWidth={760}>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>To</Table.Th>
                <Table.Th>Subject</Table.Th>
                <Table.Th>Time</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Attempts</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {messages.map((message) => (
                <Table.Tr key={message.id}>
                  <Table.Td><Text size="sm" style={{ wordBreak: 'break-all' }}>{message.to}</Text></Table.Td>
                  <Table.Td>
                    <Anchor component="button" type="button" size="sm" ta="left" onClick={() => setOpenId(message.id)}>
                      {message.subject}
                    </Anchor>
                  </Table.Td>
                  <Table.Td><Text size="sm">{formatTime(message.createdAt)}</Text></Table.Td>
                  <Table.Td>
                    <StatusBadge status={message.status} />
                    {/* Why it is not delivered (yet): the SMTP server's answer, kept until it is. */}
                    {message.status !== 'sent' && message.lastError && (
                      <Text size="xs" c="dimmed" mt={4} style={{ wordBreak: 'break-word' }}>{message.lastError}</Text>
                    )}
                  </Table.Td>
                  <Table.Td><Text size="sm">{message.attempts}</Text></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
      <MailDialog id={openId} onClose={() => setOpenId(null)} />
    </Stack>
  );
}

import { Anchor, Button, Group, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { api } from '../../api';
import { LoadingState } from '../../components/LoadingState';
import { StatusBadge } from '../../components/StatusBadge';
import { formatTime } from '../../format';
import { keys, useApiQuery } from '../../data';
import { LoadError } from '../../components/LoadError';
import { MailDialog } from './MailDialog';
import { ScrollTable } from '../../components/ScrollTable';

/** Outgoing mail: the local mailbox in the embedded setup, and the outbox's delivery state. */
export function MailboxTab() {
  const { data, error, loading, reload } = useApiQuery(keys.operator.mail, api.operator.mail);
  const [openId, setOpenId] = useState<string | null>(null);
  const messages = [...(data?.messages ?? [])].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Text size="sm" c="dimmed">Newest first. Open a message to read it and follow its links.</Text>
        <Button variant="default" onClick={() => void reload()} loading={loading && data !== null}>
          Refresh
        </Button>
      </Group>
      {error && <LoadError place="operator" error={error} onRetry={() => void reload()} />}
      {!error && data === null && <LoadingState label="Loading mail…" />}
      {!error && data !== null && messages.length === 0 && (
        <Text c="dimmed" ta="center" py="xl">No mail yet.</Text>
      )}
      {!error && messages.length > 0 && (
        <ScrollTable label="Outgoing mail" minWidth={640}>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>To</Table.Th>
                <Table.Th>Subject</Table.Th>
                <Table.Th>Time</Table.Th>
                <Table.Th>Status</Table.Th>
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
                  <Table.Td><StatusBadge status={message.status} /></Table.Td>
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

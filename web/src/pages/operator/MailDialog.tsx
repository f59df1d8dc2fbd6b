import { Box, Modal, Stack, Table, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { api, ApiError, type MailMessage } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LoadingState } from '../../components/LoadingState';
import { formatTime } from '../../format';
import { LinkedText } from './LinkedText';

/** One message from the local mailbox, as plain text (the HTML part is not rendered). */
export function MailDialog({ id, onClose }: { id: string | null; onClose: () => void }) {
  const [message, setMessage] = useState<MailMessage | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!id) return;
    let current = true;
    setMessage(null);
    setError(null);
    api.operator.mailMessage(id).then(
      (loaded) => current && setMessage(loaded),
      (caught: unknown) => current && setError(caught instanceof ApiError ? caught.message : 'Something went wrong.'),
    );
    return () => {
      current = false;
    };
  }, [id]);

  return (
    <Modal opened={id !== null} onClose={onClose} title={message?.subject ?? 'Message'} size="xl">
      <ErrorAlert message={error} />
      {!message && !error && <LoadingState label="Loading message…" />}
      {message && (
        <Stack gap="md">
          <Table withRowBorders={false} verticalSpacing={2} horizontalSpacing={0} fz="sm" w="auto">
            <Table.Tbody>
              {[
                ['From', message.from],
                ['To', message.to],
                ['Subject', message.subject],
                ['Date', formatTime(message.createdAt)],
              ].map(([name, value]) => (
                <Table.Tr key={name}>
                  <Table.Th pr="md" fw={500} c="dimmed">{name}</Table.Th>
                  <Table.Td>{value}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Box
            component="pre"
            p="md"
            m={0}
            bg="var(--mantine-color-gray-0)"
            fz="sm"
            style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word', borderRadius: 'var(--mantine-radius-md)', border: '1px solid var(--mantine-color-gray-3)' }}
          >
            <LinkedText text={message.text} />
          </Box>
          <Text size="xs" c="dimmed">Shown as plain text.</Text>
        </Stack>
      )}
    </Modal>
  );
}

import { Box, Modal, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { api } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LoadingState } from '../../components/LoadingState';
import { keys, useApiQuery } from '../../data';
import { formatTime } from '../../format';
import { LinkedText } from './LinkedText';

/**
 * The HTML part in a sandboxed frame: no scripts, an opaque origin (it cannot reach the
 * console's session), and links opening in a new tab as they would from a mail client.
 */
function mailDocument(html: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><base target="_blank"></head><body>${html}</body></html>`;
}

/** One message from the local mailbox as the recipient sees it, with a plain-text view. */
export function MailDialog({ id, onClose }: { id: string | null; onClose: () => void }) {
  // A sent message never changes: once loaded, it is kept.
  const { data: message, error } = useApiQuery(keys.operator.mailMessage(id ?? ''), () => api.operator.mailMessage(id ?? ''), {
    enabled: id !== null,
    staleTime: Infinity,
  });
  const [view, setView] = useState<'html' | 'text'>('html');

  // Messages without an HTML part have only the plain-text view.
  const shown = message?.html ? view : 'text';

  return (
    <Modal opened={id !== null} onClose={onClose} title={message?.subject ?? 'Message'} size="xl">
      <ErrorAlert message={error?.message} />
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
          <SegmentedControl
            aria-label="Show the message as"
            value={shown}
            onChange={(value) => setView(value === 'text' ? 'text' : 'html')}
            data={[{ value: 'html', label: 'As sent', disabled: !message.html }, { value: 'text', label: 'Plain text' }]}
            w="fit-content"
          />
          {shown === 'html' && message.html && (
            <Box
              component="iframe"
              title={`Message: ${message.subject}`}
              sandbox="allow-popups allow-popups-to-escape-sandbox"
              srcDoc={mailDocument(message.html)}
              w="100%"
              h={480}
              style={{ border: '1px solid var(--mantine-color-gray-3)', borderRadius: 'var(--mantine-radius-md)', background: 'white' }}
            />
          )}
          {shown === 'text' && (
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
          )}
          <Text size="xs" c="dimmed">
            {shown === 'html' ? 'Shown as the recipient\u2019s mail app shows it; links open in a new tab.' : 'The plain-text part of the same message.'}
          </Text>
        </Stack>
      )}
    </Modal>
  );
}

import { Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import type { ReactNode } from 'react';
import { formatTime } from '../format';
import { describeUserAgent } from '../userAgent';
import { ScrollTable } from './ScrollTable';

/** A browser session as both lists show it (My Settings, a Master's view of a user). */
export interface SessionRow {
  id: string;
  /** Where it was signed in. */
  ip: string | null;
  /** Where it was last used: another address than the sign-in's may be a copied cookie. */
  lastSeenIp: string | null;
  userAgent: string | null;
  createdAt: string;
  lastSeenAt: string;
}

interface SessionsTableProps<S extends SessionRow> {
  label: string;
  sessions: S[];
  /** Under the browser's name (a "This browser" badge, say). */
  note?: (session: S) => ReactNode;
  /** The row's button; `name` is the browser as people say it. */
  action: (session: S, name: string) => ReactNode;
}

/** Where someone is signed in: the browser (full header as a tooltip), addresses, when signed in and last used. */
export function SessionsTable<S extends SessionRow>({ label, sessions, note, action }: SessionsTableProps<S>) {
  return (
    <ScrollTable label={label} minWidth={560}>
      <Table verticalSpacing="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Browser</Table.Th>
            <Table.Th>IP</Table.Th>
            <Table.Th>Signed in</Table.Th>
            <Table.Th>Last used</Table.Th>
            <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {sessions.map((session) => {
            const name = describeUserAgent(session.userAgent);
            return (
              <Table.Tr key={session.id}>
                <Table.Td>
                  <Tooltip label={session.userAgent ?? 'No browser name was sent'} multiline maw={360} withArrow>
                    <Text size="sm" tabIndex={0} w="fit-content">{name}</Text>
                  </Tooltip>
                  {note?.(session)}
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{session.ip ?? '—'}</Text>
                  {session.lastSeenIp !== null && session.lastSeenIp !== session.ip && (
                    <Text size="xs" c="orange.8">Last used from {session.lastSeenIp}</Text>
                  )}
                </Table.Td>
                <Table.Td><Text size="sm">{formatTime(session.createdAt)}</Text></Table.Td>
                <Table.Td><Text size="sm">{formatTime(session.lastSeenAt)}</Text></Table.Td>
                <Table.Td>{action(session, name)}</Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  );
}

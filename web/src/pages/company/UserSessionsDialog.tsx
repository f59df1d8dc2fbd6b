import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { adminApi, type CompanyUser, type UserSession } from '../../api/admin';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LoadingState } from '../../components/LoadingState';
import { SessionsTable } from '../../components/SessionsTable';
import { keys, useApiQuery, useInvalidate } from '../../data';
import { useAction } from '../../hooks/useAction';
import { describeUserAgent } from '../../userAgent';

interface UserSessionsDialogProps {
  user: CompanyUser | null;
  onClose: () => void;
  /** After a session or all of them ended: the notice to show. */
  onEnded: (message: string) => void;
}

/**
 * Where a user is signed in, for the lost laptop or the leaver: end one session (and the
 * module sign-ins it led to) or every one. The Root Master's own are the Root Master's.
 */
export function UserSessionsDialog({ user, onClose, onEnded }: UserSessionsDialogProps) {
  const userId = user?.id ?? '';
  const { data, error } = useApiQuery(keys.company.userSessions(userId), () => adminApi.sessions(userId), { enabled: user !== null });
  const invalidate = useInvalidate();
  const action = useAction();
  const [ending, setEnding] = useState<string | null>(null);

  const end = async (label: string, call: () => Promise<unknown>, message: string) => {
    setEnding(label);
    const done = await action.run(call);
    setEnding(null);
    if (done === undefined) return;
    void invalidate(keys.company.all);
    onEnded(message);
  };
  const sessions = data?.sessions ?? [];
  const endOne = (session: UserSession) =>
    user && end(session.id, () => adminApi.endSession(user.id, session.id), `${user.username}'s session in ${describeUserAgent(session.userAgent)} is ended.`);
  const endAll = () =>
    user && end('all', () => adminApi.endAllSessions(user.id), `${user.username} is signed out everywhere: every browser and every module.`);

  return (
    <Modal opened={user !== null} onClose={onClose} title={user ? `Sessions of ${user.username}` : 'Sessions'} centered size="xl">
      <Stack gap="md">
        <Text size="sm" c="dimmed">
          Browsers where they are signed in, most recently used first. Ending a session also ends the module sign-ins it
          led to; they log in again with their password and 2FA.
        </Text>
        <ErrorAlert message={error?.message ?? action.error?.message} />
        {!error && !data && <LoadingState label="Loading sessions…" />}
        {data && sessions.length === 0 && <Text size="sm">No live sessions.</Text>}
        {sessions.length > 0 && (
          <SessionsTable
            label={`Sessions of ${user?.username ?? ''}`}
            sessions={sessions}
            action={(session, name) => (
              <Button
                size="compact-sm"
                variant="default"
                loading={ending === session.id}
                disabled={ending !== null && ending !== session.id}
                onClick={() => void endOne(session)}
                aria-label={`End the session in ${name} from ${session.ip ?? 'an unknown address'}`}
              >
                End
              </Button>
            )}
          />
        )}
        <Group justify="space-between">
          <Button color="red" variant="light" loading={ending === 'all'} disabled={ending !== null && ending !== 'all'} onClick={() => void endAll()}>
            Sign Out Everywhere
          </Button>
          <Button variant="default" onClick={onClose}>
            Close
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

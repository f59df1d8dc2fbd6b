import { Badge, Button, Group, Text } from '@mantine/core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { meApi, type MySession } from '../../api/me';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LoadingState } from '../../components/LoadingState';
import { useAction } from '../../hooks/useAction';
import { keys, useApiQuery, useInvalidate } from '../../data';
import { describeUserAgent } from '../../userAgent';
import { Notice } from '../../components/Notice';
import { SettingsCard } from './SettingsCard';
import { SessionsTable } from '../../components/SessionsTable';

export const SIGNED_OUT_EVERYWHERE_NOTICE = 'You are signed out everywhere: in every browser and every module.';

/** Where the user is signed in; any session can be ended, this one included. */
export function SessionsSection() {
  const navigate = useNavigate();
  // A password change ends the other sessions too: it invalidates this list.
  const { data, error } = useApiQuery(keys.me.sessions, meApi.sessions);
  const invalidate = useInvalidate();
  const revoke = useAction();
  const [revoking, setRevoking] = useState<string | null>(null);
  const [everywhere, setEverywhere] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const onRevoke = async (session: MySession) => {
    setRevoking(session.id);
    setNotice(null);
    const result = await revoke.run(() => meApi.revokeSession(session.id));
    setRevoking(null);
    if (!result) return;
    if (result.signedOut) return navigate('/login', { replace: true, state: { notice: 'You are signed out in this browser.' } });
    setNotice(`The session in ${describeUserAgent(session.userAgent)} is ended.`);
    void invalidate(keys.me.sessions);
  };

  const sessions = data?.sessions ?? [];

  return (
    <SettingsCard title="Sessions" description="Browsers where you are signed in to Gatehouse, most recently used first.">
      <Notice message={notice} onClose={() => setNotice(null)} />
      <ErrorAlert message={error?.message ?? revoke.error?.message} />
      {!error && !data && <LoadingState label="Loading sessions…" />}
      {sessions.length > 0 && (
        <SessionsTable
          label="Sessions"
          sessions={sessions}
          note={(session) => session.current && <Badge color="teal" variant="light" tt="none" mt={4}>This browser</Badge>}
          action={(session, name) => (
            <Button
              size="compact-sm"
              variant="default"
              loading={revoking === session.id}
              disabled={revoking !== null && revoking !== session.id}
              onClick={() => void onRevoke(session)}
              aria-label={session.current ? 'Sign out this browser' : `Revoke the session in ${name} from ${session.ip ?? 'an unknown address'}`}
            >
              {session.current ? 'Sign Out' : 'Revoke'}
            </Button>
          )}
        />
      )}
      <Group>
        <Button color="red" variant="light" onClick={() => setEverywhere(true)}>
          Sign Out Everywhere
        </Button>
      </Group>
      <ConfirmDialog
        opened={everywhere}
        title="Sign out everywhere"
        confirmLabel="Sign Out Everywhere"
        danger
        onClose={() => setEverywhere(false)}
        onConfirm={() => meApi.signOutEverywhere()}
        onDone={() => navigate('/login', { replace: true, state: { notice: SIGNED_OUT_EVERYWHERE_NOTICE } })}
      >
        <Text size="sm">
          End every session of your account, this one included, and sign out of every module? You log in again with your
          password and authenticator app.
        </Text>
      </ConfirmDialog>
    </SettingsCard>
  );
}

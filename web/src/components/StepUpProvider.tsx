import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, setReauthPrompt } from '../api';
import { meApi } from '../api/me';
import { keys, useApiQuery } from '../data';
import { ReauthDialog } from './ReauthDialog';
import { ErrorAlert } from './ErrorAlert';
import { LoadingState } from './LoadingState';

const TITLE = "Confirm it's you";
const TEXT = 'This change needs you to confirm it is you.';

/**
 * The app's one "Confirm it's you" dialog. A sensitive change refused with 403
 * `reauth.required` (the session was not proved in the last minutes) waits in api.ts
 * while this asks for the user's proof and sends POST /api/me/reauth; the change is then
 * sent again by itself, so no page knows about the step-up. Mounted once, in App.
 */
export function StepUpProvider() {
  const [opened, setOpened] = useState(false);
  // The api layer's waiting call: true once proved, false when the user gives up.
  const answer = useRef<((proved: boolean) => void) | null>(null);

  const finish = useCallback((proved: boolean) => {
    const resolve = answer.current;
    answer.current = null;
    setOpened(false);
    resolve?.(proved);
  }, []);

  useEffect(
    () =>
      setReauthPrompt(
        () =>
          new Promise<boolean>((resolve) => {
            // api.ts asks once at a time; an earlier question still open is given up.
            answer.current?.(false);
            answer.current = resolve;
            setOpened(true);
          }),
      ),
    [],
  );
  // Unmounted (the app closing): nothing waits forever.
  useEffect(() => () => answer.current?.(false), []);

  // Which proofs this user has (the same as My Settings shows), loaded when first asked.
  const profile = useApiQuery(keys.me.profile, meApi.profile, { enabled: opened });
  const proof = profile.data?.proof;

  if (proof && (proof.password || proof.app || proof.key)) {
    return (
      <ReauthDialog
        opened={opened}
        title={TITLE}
        confirmLabel="Confirm"
        proof={proof}
        onClose={() => finish(false)}
        submit={(given) => meApi.reauth(given)}
        onDone={() => finish(true)}
      >
        <Text size="sm">{TEXT}</Text>
      </ReauthDialog>
    );
  }

  return (
    <Modal opened={opened} onClose={() => finish(false)} title={TITLE} centered>
      <Stack gap="md">
        <Text size="sm">{TEXT}</Text>
        {proof ? (
          <SignInAgain onCancel={() => finish(false)} />
        ) : profile.error ? (
          <>
            <ErrorAlert message={profile.error.message} />
            <Group justify="flex-end" gap="sm">
              <Button variant="default" onClick={() => finish(false)}>
                Cancel
              </Button>
              <Button variant="default" onClick={() => void profile.reload()}>
                Try again
              </Button>
            </Group>
          </>
        ) : (
          <LoadingState label="Loading…" />
        )}
      </Stack>
    </Modal>
  );
}

/**
 * Nothing to prove with here (single sign-on: no password, app or key in Gatehouse): a
 * fresh sign-in through the company's identity provider is the proof.
 */
function SignInAgain({ onCancel }: { onCancel: () => void }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [pending, setPending] = useState(false);

  const signInAgain = async () => {
    setPending(true);
    try {
      await api.logout();
    } catch {
      // Signed out already, or unreachable: the login page says which.
    }
    onCancel();
    client.removeQueries();
    navigate('/login', { replace: true });
  };

  return (
    <>
      <Text size="sm">Sign in again, then make the change within 10 minutes.</Text>
      <Group justify="flex-end" gap="sm">
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
        <Button loading={pending} onClick={() => void signInAgain()}>
          Sign in again
        </Button>
      </Group>
    </>
  );
}

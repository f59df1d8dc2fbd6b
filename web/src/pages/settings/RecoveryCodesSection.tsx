import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { meApi, type Profile } from '../../api/me';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LoadingState } from '../../components/LoadingState';
import { RecoveryCodes } from '../../components/RecoveryCodes';
import { formatTime } from '../../format';
import { keys, useApiQuery, useInvalidate } from '../../data';
import { ReauthDialog } from '../../components/ReauthDialog';
import { SettingsCard } from './SettingsCard';

// Few enough left that losing the phone now could leave the user without a way in.
const LOW = 3;

export function RecoveryCodesSection({ account, proof }: { account: string; proof: Profile['proof'] }) {
  const { data, error } = useApiQuery(keys.me.recoveryCodes, meApi.recoveryCodes);
  const invalidate = useInvalidate();
  const [asking, setAsking] = useState(false);
  const [codes, setCodes] = useState<string[] | null>(null);

  return (
    <SettingsCard
      title="Recovery Codes"
      description="Each code lets you log in once without your authenticator app, for when your phone is lost. Gatehouse shows them only when they are made."
    >
      <ErrorAlert message={error?.message} />
      {!error && !data && <LoadingState label="Loading recovery codes…" />}
      {data && (
        <>
          <Text size="sm">
            {data.generatedAt ? (
              <>
                <strong>{data.remaining} of {data.total}</strong> codes left, made {formatTime(data.generatedAt)}.
              </>
            ) : (
              'You have no recovery codes yet.'
            )}
          </Text>
          {(data.generatedAt === null || data.remaining <= LOW) && (
            <Alert color="yellow" variant="light">
              <Text size="sm">
                {data.generatedAt === null || data.remaining === 0
                  ? 'Without recovery codes, a lost phone means asking a Master to reset your 2FA.'
                  : 'You are running low.'}{' '}
                Make a new set and keep it somewhere safe.
              </Text>
            </Alert>
          )}
        </>
      )}
      <Group>
        <Button variant="default" onClick={() => setAsking(true)}>
          Regenerate Codes
        </Button>
      </Group>
      <ReauthDialog
        opened={asking}
        title="New recovery codes"
        confirmLabel="Regenerate"
        proof={proof}
        onClose={() => setAsking(false)}
        submit={(given) => meApi.regenerateRecoveryCodes(given)}
        onDone={(result) => {
          setAsking(false);
          setCodes(result.recoveryCodes);
          void invalidate(keys.me.recoveryCodes);
        }}
      >
        <Text size="sm">
          You get ten new codes, and every earlier code stops working. Confirm it is you first.
        </Text>
      </ReauthDialog>
      {/* Like a client secret: a click outside must not lose codes shown only once. */}
      <Modal opened={codes !== null} onClose={() => setCodes(null)} title="Your new recovery codes" centered closeOnClickOutside={false}>
        {codes && (
          <Stack gap="md">
            <Alert color="yellow" variant="light">
              <Text size="sm" fw={600}>Save these codes now.</Text>
              <Text size="sm" mt={4}>This is the only time Gatehouse shows them. Your earlier codes no longer work.</Text>
            </Alert>
            <RecoveryCodes codes={codes} account={account} />
            <Group justify="flex-end">
              <Button onClick={() => setCodes(null)}>Done</Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </SettingsCard>
  );
}

import { Button, Stack, Text } from '@mantine/core';
import { securityKeysApi } from '../../api/securityKeys';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { useAction } from '../../hooks/useAction';
import { usePageTitle } from '../../hooks/usePageTitle';
import { flowExpired } from './flowExpired';
import type { StepProps } from './LoginPage';
import { WhoBox } from './WhoBox';

/**
 * The company requires a passkey or security key and this user has none: after the code,
 * one is added here and then used at once to finish the login.
 */
export function KeyEnrollStep({ flow, onAdvance, onExpired, onRestart }: StepProps) {
  usePageTitle('Add a Passkey or Security Key');
  const action = useAction();
  const onAdd = async () => {
    const next = await action.run(async () => {
      await securityKeysApi.enrollDuringLogin();
      return securityKeysApi.loginWithKey();
    }, flowExpired(onExpired));
    if (next) onAdvance(next);
  };
  return (
    <Stack gap="md">
      <div>
        <PageHeading focus>Add a Passkey or Security Key</PageHeading>
        <Text size="sm" c="dimmed" mt={4}>
          Your company requires a passkey or security key to sign in: unlike a code, it cannot be used on a fake Gatehouse
          page. Add one now; from your next login on, the app's code is no longer enough.
        </Text>
      </div>
      <WhoBox username={flow.username} companyName={flow.companyName} onChange={onRestart} />
      <ErrorAlert message={action.error?.message} />
      <Button size="md" fullWidth loading={action.pending} onClick={() => void onAdd()}>
        Add a passkey or security key
      </Button>
    </Stack>
  );
}

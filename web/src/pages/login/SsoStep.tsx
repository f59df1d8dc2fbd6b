import { Anchor, Button, Stack, Text } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { usePageTitle } from '../../hooks/usePageTitle';
import { flowExpired } from './flowExpired';
import type { StepProps } from './LoginPage';
import { WhoBox } from './WhoBox';

/**
 * The company signs in through its own identity provider: Continue goes there (a full
 * page load), and comes back to /login, where the server says the next step. Break-glass
 * users choose "Use password instead"; the password step decides who may pass.
 */
export function SsoStep({ flow, onAdvance, onExpired, onRestart }: StepProps) {
  usePageTitle('Log In');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run(action: () => Promise<void>) {
    setPending(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setPending(false);
      if (caught instanceof ApiError && flowExpired(onExpired)(caught)) return;
      setError(caught instanceof ApiError ? caught.message : 'Something went wrong.');
    }
  }

  const provider = flow.provider ?? "your company's identity provider";
  return (
    <Stack gap="md">
      <div>
        <PageHeading focus>Sign In With Your Company Account</PageHeading>
        <Text size="sm" c="dimmed" mt={4}>
          {flow.companyName} signs in with {provider}.
        </Text>
      </div>
      <WhoBox username={flow.username} companyName={flow.companyName} onChange={onRestart} />
      <ErrorAlert message={error} />
      <Button
        size="md"
        fullWidth
        loading={pending}
        onClick={() =>
          void run(async () => {
            const { redirectTo } = await api.login.ssoStart();
            window.location.assign(redirectTo);
          })
        }
      >
        Continue to {provider}
      </Button>
      <Text size="sm" ta="center">
        <Anchor component="button" type="button" size="sm" onClick={() => void run(async () => onAdvance(await api.login.ssoPassword()))}>
          Use password instead
        </Anchor>
      </Text>
    </Stack>
  );
}

/** Back from the provider, whose MFA the company trusts: one call makes the session. */
export function SsoTrustedStep({ onAdvance, onExpired }: StepProps) {
  usePageTitle('Log In');
  const [error, setError] = useState<string | null>(null);
  // Once: the flow is single use, and a second call would only hear "wrong step".
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    api.login.ssoFinish().then(onAdvance, (caught: unknown) => {
      if (caught instanceof ApiError && flowExpired(onExpired)(caught)) return;
      setError(caught instanceof ApiError ? caught.message : 'Something went wrong.');
    });
  }, [onAdvance, onExpired]);
  return (
    <Stack gap="md">
      <PageHeading focus>Signing You In</PageHeading>
      <ErrorAlert message={error} />
      {!error && <Text size="sm">Your company&apos;s identity provider has confirmed who you are.</Text>}
    </Stack>
  );
}

import { Button, List, Stack, Text, ThemeIcon } from '@mantine/core';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { usePageTitle } from '../../hooks/usePageTitle';
import { WhoBox } from './WhoBox';

function ShieldIcon() {
  return (
    <ThemeIcon size={56} radius="xl" variant="light" aria-hidden="true">
      <svg width="30" height="30" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinejoin="round">
        <path d="M12 3l7 3v5c0 4.5-3 8.3-7 10-4-1.7-7-5.5-7-10V6z" />
        <path d="M9 12l2 2 4-4" strokeLinecap="round" />
      </svg>
    </ThemeIcon>
  );
}

interface SecurityMattersIntroProps {
  onGetStarted: () => void;
  /** The alternative to the app: a passkey or security key (only where the browser can use one). */
  onUseKey?: () => void;
  keyPending?: boolean;
  pending: boolean;
  error?: string;
  /** Whose login this is, with "Not you?" back to the first step (the enrollment stays owed: it is asked again at that user's next login). */
  who: { username?: string; companyName?: string; onChange: () => void };
}

export function SecurityMattersIntro({ onGetStarted, onUseKey, keyPending, pending, error, who }: SecurityMattersIntroProps) {
  usePageTitle('Your Security Matters');
  return (
    <Stack gap="md" align="stretch">
      <ShieldIcon />
      {/* Focus moves here from the password field, which is gone now. */}
      <PageHeading focus>Your Security Matters</PageHeading>
      <Text>
        Two-factor authentication (2FA) is required to access Gatehouse and every module you log in to with Gatehouse.
        Your account does not have it yet, so let's set it up now. It is a one-time task and takes about two minutes.
      </Text>
      <List spacing={4} size="sm">
        <List.Item>You will need your mobile phone and an authenticator app.</List.Item>
        <List.Item>After this, you will enter a code from the app each time you log in.</List.Item>
      </List>
      <ErrorAlert message={error} />
      <Button size="md" onClick={onGetStarted} loading={pending}>
        Get Started
      </Button>
      {onUseKey && (
        <Button size="md" variant="default" onClick={onUseKey} loading={keyPending}>
          Use a passkey or security key
        </Button>
      )}
      <WhoBox {...who} />
    </Stack>
  );
}

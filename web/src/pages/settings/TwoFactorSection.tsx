import { Alert, Button, Group, Text } from '@mantine/core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { meApi, type Profile } from '../../api/me';
import { formatTime } from '../../format';
import { ReauthDialog } from '../../components/ReauthDialog';
import { SettingsCard } from './SettingsCard';

export const TWO_FACTOR_RESET_NOTICE =
  'Your two-factor authentication is reset and you were logged out everywhere. Log in to set it up again with your authenticator app.';

/** Resetting your own 2FA, for a new phone: it logs you out, and the next login enrolls again. */
export function TwoFactorSection({ profile }: { profile: Profile }) {
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const since = formatTime(profile.twoFactorEnrolledAt);

  return (
    <SettingsCard
      title="Two-Factor Authentication"
      description={since ? `On since ${since}. Every login asks for a code from your authenticator app.` : 'On for every login.'}
    >
      <Text size="sm">
        New phone, or moving to another authenticator app? Reset your 2FA here, with the old one or, if your phone is lost,
        one of your recovery codes, then set it up again at your next login.
      </Text>
      <Group>
        <Button variant="light" color="red" onClick={() => setOpen(true)}>
          Reset Two-Factor Authentication
        </Button>
      </Group>
      <ReauthDialog
        opened={open}
        title="Reset two-factor authentication"
        confirmLabel="Reset 2FA"
        danger
        proof={profile.proof}
        takesRecoveryCode
        onClose={() => setOpen(false)}
        submit={(proof) => meApi.resetTwoFactor(proof)}
        onDone={() => navigate('/login', { replace: true, state: { notice: TWO_FACTOR_RESET_NOTICE, username: profile.username, companyName: profile.companyName } })}
      >
        <Alert color="yellow" variant="light">
          <Text size="sm" fw={600}>You will be logged out at once, everywhere.</Text>
          <Text size="sm" mt={4}>
            Your authenticator app's codes, your passkeys and security keys, and your recovery codes stop working. At your
            next login you must set up 2FA again, with your phone or key at hand.
          </Text>
        </Alert>
      </ReauthDialog>
    </SettingsCard>
  );
}

import { Anchor, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { meApi } from '../../api/me';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LoadingState } from '../../components/LoadingState';
import { keys, useApiQuery, useInvalidate } from '../../data';
import { usePageTitle } from '../../hooks/usePageTitle';
import { EmailSection } from './EmailSection';
import { PasswordSection } from './PasswordSection';
import { ProfileSection } from './ProfileSection';
import { RecoveryCodesSection } from './RecoveryCodesSection';
import { SecurityKeysSection } from './SecurityKeysSection';
import { SessionsSection } from './SessionsSection';
import { TwoFactorSection } from './TwoFactorSection';

/** My Settings: every signed-in user's own account. */
export function SettingsPage() {
  usePageTitle('My Settings');
  const profileLoad = useApiQuery(keys.me.profile, meApi.profile);
  const profile = profileLoad.data;
  const client = useQueryClient();
  const invalidate = useInvalidate();

  return (
      <Stack gap="lg" maw={800} w="100%">
        <div>
          <Anchor component={Link} to="/" size="sm">
            ← Home
          </Anchor>
          <Title order={1} size="h2" mt={4}>
            My Settings
          </Title>
          <Text size="sm" c="dimmed">
            Your profile, sign-in and sessions.
          </Text>
        </div>
        <ErrorAlert message={profileLoad.error?.message} />
        {!profile && !profileLoad.error && <LoadingState label="Loading your settings…" />}
        {profile && (
          <>
            <ProfileSection
              profile={profile}
              onSaved={(next) => {
                client.setQueryData(keys.me.profile, next);
                // The header shows the display name.
                void invalidate(keys.session);
              }}
            />
            <EmailSection
              profile={profile}
              onRequested={() => void invalidate(keys.me.profile)}
            />
            <PasswordSection rule={profile.passwordPolicy} managedBy={profile.passwordManagedBy} />
            <TwoFactorSection profile={profile} />
            <SecurityKeysSection hasPassword={profile.proof.password} />
            <RecoveryCodesSection account={`${profile.username} at ${profile.companyName}`} proof={profile.proof} />
            <SessionsSection />
          </>
        )}
      </Stack>
  );
}

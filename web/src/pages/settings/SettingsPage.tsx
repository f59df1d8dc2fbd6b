import { Anchor, Stack, Text, Title } from '@mantine/core';
import { useCallback, useState } from 'react';
import { Link } from 'react-router';
import { meApi, type Profile } from '../../api/me';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LoadingState } from '../../components/LoadingState';
import { SessionPending } from '../../components/SessionPending';
import { SignedInShell } from '../../components/SignedInShell';
import { useLoad } from '../../hooks/useLoad';
import { usePageTitle } from '../../hooks/usePageTitle';
import { useSession } from '../../hooks/useSession';
import { EmailSection } from './EmailSection';
import { PasswordSection } from './PasswordSection';
import { ProfileSection } from './ProfileSection';
import { RecoveryCodesSection } from './RecoveryCodesSection';
import { SessionsSection } from './SessionsSection';
import { TwoFactorSection } from './TwoFactorSection';

/** My Settings: every signed-in user's own account. */
export function SettingsPage() {
  usePageTitle('My Settings');
  const { me, error, reload: reloadMe } = useSession();
  const load = useCallback(() => meApi.profile(), []);
  const profileLoad = useLoad(load);
  const [saved, setSaved] = useState<Profile | null>(null);
  const [sessionsVersion, setSessionsVersion] = useState(0);
  const profile = saved ?? profileLoad.data;

  if (!me) return <SessionPending error={error} onRetry={() => void reloadMe()} />;

  return (
    <SignedInShell me={me}>
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
                setSaved(next);
                // The header shows the display name.
                void reloadMe();
              }}
            />
            <EmailSection
              profile={profile}
              onRequested={() => {
                setSaved(null);
                void profileLoad.reload();
              }}
            />
            <PasswordSection rule={profile.passwordPolicy} onChanged={() => setSessionsVersion((v) => v + 1)} />
            <TwoFactorSection profile={profile} />
            <RecoveryCodesSection account={`${profile.username} at ${profile.companyName}`} />
            <SessionsSection version={sessionsVersion} />
          </>
        )}
      </Stack>
    </SignedInShell>
  );
}

import { Alert, Anchor, AppShell, Button, Container, Group, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { api, type Me } from '../api';
import { useAction } from '../hooks/useAction';
import { CHANGE_NOT_SAVED, type ReturnHandover } from '../pages/login/returnTo';
import { ErrorAlert } from './ErrorAlert';
import { HeaderNav } from './HeaderNav';
import { Wordmark } from './Wordmark';

export const displayName = (me: Me) => me.user.displayName?.trim() || me.user.username;

/**
 * Header and page frame for signed-in pages. Names people chose (up to 100 characters, in
 * one word if they like) are cut short with an ellipsis, whole in their title, so the
 * header's links and Log Out stay on screen (min-width 0 lets the name's box shrink).
 */
export function SignedInShell({ me, children }: { me: Me; children: ReactNode }) {
  const navigate = useNavigate();
  const location = useLocation();
  const logout = useAction();
  // Back from the login page after the session ended under this page with a change unsaved.
  const changeNotSaved = Boolean((location.state as ReturnHandover | null)?.changeNotSaved);
  const dismissChangeNotSaved = () => navigate({ pathname: location.pathname, search: location.search }, { replace: true, state: null });

  const onLogout = async () => {
    let alreadyOut = false;
    const result = await logout.run(
      () => api.logout(),
      (error) => {
        // Signed out elsewhere already: that is the outcome the user asked for.
        alreadyOut = error.status === 401;
        return alreadyOut;
      },
    );
    if (result || alreadyOut) navigate('/login', { replace: true });
  };

  return (
    <AppShell header={{ height: 64 }} padding={0}>
      <AppShell.Header>
        <Container size="lg" h="100%">
          <Group h="100%" justify="space-between" wrap="nowrap">
            <Anchor component={Link} to="/" underline="never" aria-label="Gatehouse home">
              <Wordmark />
            </Anchor>
            <Group gap="md" wrap="nowrap" miw={0}>
              <Stack gap={0} align="flex-end" visibleFrom="xs" miw={0}>
                <Text size="sm" fw={600} lh={1.3} truncate="end" maw="100%" title={displayName(me)}>
                  {displayName(me)}
                </Text>
                <Text size="xs" c="dimmed" lh={1.3} truncate="end" maw="100%" title={me.company.name}>
                  {me.company.name}
                </Text>
              </Stack>
              <HeaderNav me={me} />
              <Button variant="default" onClick={onLogout} loading={logout.pending}>
                Log Out
              </Button>
            </Group>
          </Group>
        </Container>
      </AppShell.Header>
      <AppShell.Main bg="var(--mantine-color-gray-0)" mih="100vh">
        <Container size="lg" py="xl">
          <Stack gap="lg">
            <ErrorAlert message={logout.error?.message} />
            {changeNotSaved && (
              <Alert color="yellow" variant="light" role="alert" withCloseButton closeButtonLabel="Dismiss" onClose={dismissChangeNotSaved}>
                {CHANGE_NOT_SAVED}
              </Alert>
            )}
            {children}
          </Stack>
        </Container>
      </AppShell.Main>
    </AppShell>
  );
}

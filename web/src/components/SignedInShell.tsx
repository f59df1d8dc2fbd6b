import { Anchor, AppShell, Button, Container, Group, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, type Me } from '../api';
import { useAction } from '../hooks/useAction';
import { ErrorAlert } from './ErrorAlert';
import { HeaderNav } from './HeaderNav';
import { Wordmark } from './Wordmark';

export const displayName = (me: Me) => me.user.displayName?.trim() || me.user.username;

/** Header and page frame for signed-in pages. */
export function SignedInShell({ me, children }: { me: Me; children: ReactNode }) {
  const navigate = useNavigate();
  const logout = useAction();

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
            <Group gap="md" wrap="nowrap">
              <Stack gap={0} align="flex-end" visibleFrom="xs">
                <Text size="sm" fw={600} lh={1.3}>
                  {displayName(me)}
                </Text>
                <Text size="xs" c="dimmed" lh={1.3}>
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
            {children}
          </Stack>
        </Container>
      </AppShell.Main>
    </AppShell>
  );
}

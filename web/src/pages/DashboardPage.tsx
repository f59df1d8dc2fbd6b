import { Button, Card, Group, SimpleGrid, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { displayName } from '../components/SignedInShell';
import { StatusBadge } from '../components/StatusBadge';
import { humanize } from '../format';
import { usePageTitle } from '../hooks/usePageTitle';
import { isMaster } from '../roles';
import { useMe } from '../session';
import { ModulesSection } from './dashboard/ModulesSection';

export function DashboardPage() {
  usePageTitle('Home');
  const me = useMe();

  return (
    <>
      <Title order={1} size="h2" style={{ overflowWrap: 'anywhere' }}>
        Welcome, {displayName(me)}
      </Title>

      <SimpleGrid cols={{ base: 1, sm: me.user.isOperator ? 2 : 1 }} spacing="lg">
        <Card withBorder radius="md" padding="lg">
          <Text size="xs" tt="uppercase" fw={600} c="dimmed">
            Company
          </Text>
          <Group gap="sm" mt={4}>
            <Text fw={600} size="lg" miw={0} style={{ overflowWrap: 'anywhere' }}>
              {me.company.name}
            </Text>
            <StatusBadge status={me.company.status} />
          </Group>
          <Text size="sm" mt="sm">
            Signed in as <strong style={{ overflowWrap: 'anywhere' }}>{me.user.username}</strong> · Role: <strong>{humanize(me.user.role)}</strong>
          </Text>
          {isMaster(me) && (
            <Group mt="md">
              <Button component={Link} to="/company" variant="default">Manage Users and Security</Button>
            </Group>
          )}
        </Card>

        {me.user.isOperator && (
          <Card withBorder radius="md" padding="lg">
            <Text size="xs" tt="uppercase" fw={600} c="dimmed">
              Operator
            </Text>
            <Text size="sm" mt={4} mb="md">
              Review company account requests, manage companies and modules, and read the outgoing mail.
            </Text>
            <Group>
              {/* The header links to the console too; this button says where it leads. */}
              <Button component={Link} to="/operator">
                Open the Operator Console
              </Button>
            </Group>
          </Card>
        )}
      </SimpleGrid>

      <ModulesSection me={me} />
    </>
  );
}

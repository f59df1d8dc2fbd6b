import { Anchor, Group, Paper, Text } from '@mantine/core';

/** "username @ company" with a way back to the first step, shown on the later login steps. */
export function WhoBox({ username, companyName, onChange }: { username?: string; companyName?: string; onChange: () => void }) {
  if (!username && !companyName) return null;
  return (
    <Paper withBorder radius="md" px="sm" py={8} bg="var(--mantine-color-gray-0)">
      <Group justify="space-between" wrap="nowrap" gap="sm">
        <Text size="sm" truncate="end">
          <Text span fw={600}>
            {username}
          </Text>
          <Text span c="dimmed">
            {' @ '}
            {companyName}
          </Text>
        </Text>
        <Anchor component="button" type="button" size="sm" onClick={onChange} aria-label="Not you? Change user">
          Not you?
        </Anchor>
      </Group>
    </Paper>
  );
}

import { Card, Group, Progress, SimpleGrid, Text } from '@mantine/core';
import type { ComplianceTotals as Totals } from '../../api/audit';

function Stat({ label, value, hint }: { label: string; value: number | string; hint?: string }) {
  return (
    <Card withBorder radius="md" padding="md">
      <Text size="xs" tt="uppercase" fw={600} c="dimmed">
        {label}
      </Text>
      <Text fz={28} fw={700} lh={1.2} mt={4}>
        {value}
      </Text>
      {hint && <Text size="xs" c="dimmed">{hint}</Text>}
    </Card>
  );
}

/** The headline numbers: how many users have 2FA, and how many are still on the way. */
export function ComplianceTotals({ totals }: { totals: Totals }) {
  return (
    <Card withBorder radius="md" padding="lg">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>2FA enrolled</Text>
        <Text fw={700}>{totals.percentEnrolled}%</Text>
      </Group>
      <Progress
        value={totals.percentEnrolled}
        color={totals.percentEnrolled === 100 ? 'teal' : 'gatehouse'}
        size="lg"
        radius="xl"
        aria-label={`${totals.percentEnrolled}% of users have two-factor authentication`}
      />
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="md" mt="lg">
        <Stat label="Users" value={totals.users} />
        <Stat label="Enrolled" value={totals.enrolled} hint="2FA set up" />
        <Stat label="Pending" value={totals.pending} hint="Invited, or no 2FA yet" />
        <Stat label="Deactivated" value={totals.disabled} />
      </SimpleGrid>
    </Card>
  );
}

import { Button, Code, CopyButton, Group, Paper, Stack, Table, Text } from '@mantine/core';
import { useId, useState } from 'react';
import type { Enrollment } from '../../api';
import { SELECTED_WHOLE_ON_CLICK } from '../../components/CopyField';

/** The Can't Scan disclosure: the secret to type into the app by hand. */
export function ManualKey({ enrollment }: { enrollment: Enrollment }) {
  const [shown, setShown] = useState(false);
  const panelId = useId();

  return (
    <Stack gap="xs">
      <div>
        <Button
          variant="subtle"
          size="compact-md"
          px={4}
          aria-expanded={shown}
          aria-controls={shown ? panelId : undefined}
          onClick={() => setShown((value) => !value)}
        >
          Can't Scan
        </Button>
      </div>
      {shown && (
      <Paper id={panelId} withBorder radius="md" p="md" bg="var(--mantine-color-gray-0)">
        <Stack gap="sm">
          <Text size="sm">
            In the app, choose to enter a setup key and type this key. Choose a time-based key if the app asks.
          </Text>
          <Group gap="sm" wrap="wrap">
            <Code
              fz="lg"
              px="sm"
              py={6}
              style={{ letterSpacing: '0.08em', ...SELECTED_WHOLE_ON_CLICK, overflowWrap: 'anywhere' }}
            >
              {enrollment.secretGrouped}
            </Code>
            <CopyButton value={enrollment.secret}>
              {({ copied, copy }) => (
                <Button variant="default" size="compact-sm" onClick={copy} aria-live="polite">
                  {copied ? 'Copied' : 'Copy key'}
                </Button>
              )}
            </CopyButton>
          </Group>
          <Table withRowBorders={false} verticalSpacing={2} horizontalSpacing={0} fz="sm" w="auto">
            <Table.Tbody>
              <Table.Tr>
                <Table.Th pr="md" fw={500}>Account</Table.Th>
                <Table.Td>{enrollment.accountName}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th pr="md" fw={500}>Issuer</Table.Th>
                <Table.Td>{enrollment.issuer}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th pr="md" fw={500}>Type</Table.Th>
                <Table.Td>Time-based, 6 digits, every 30 seconds</Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
        </Stack>
      </Paper>
      )}
    </Stack>
  );
}

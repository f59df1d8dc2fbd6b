import { Box, Button, CopyButton, Group, Paper, Stack, Text } from '@mantine/core';
import { downloadText } from '../download';

interface RecoveryCodesProps {
  codes: string[];
  /** "dana at Acme Managed IT": written into the file, so a saved file says whose codes they are. */
  account?: string;
}

function fileText(codes: string[], account?: string) {
  return [
    'Gatehouse recovery codes',
    ...(account ? [`Account: ${account}`] : []),
    `Created: ${new Date().toISOString()}`,
    '',
    'Each code works once, instead of the code from your authenticator app.',
    'Keep them somewhere safe, like a password manager.',
    '',
    ...codes,
    '',
  ].join('\r\n');
}

/** The ten codes, shown once: readable, selectable, and to download or copy. */
export function RecoveryCodes({ codes, account }: RecoveryCodesProps) {
  const all = codes.join('\n');
  return (
    <Stack gap="sm">
      <Paper withBorder radius="md" p="md" bg="var(--mantine-color-gray-0)">
        <Box
          component="ul"
          aria-label="Recovery codes"
          m={0}
          p={0}
          style={{ listStyle: 'none', display: 'grid', gridTemplateColumns: 'repeat(2, 1fr)', gap: '4px 16px' }}
        >
          {codes.map((code) => (
            <Text component="li" key={code} ff="monospace" fz="md" ta="center" style={{ letterSpacing: '0.04em' }}>
              {code}
            </Text>
          ))}
        </Box>
      </Paper>
      <Group gap="sm" justify="center">
        <Button variant="default" onClick={() => downloadText('gatehouse-recovery-codes.txt', fileText(codes, account))}>
          Download
        </Button>
        <CopyButton value={all}>
          {({ copied, copy }) => (
            <Button variant="default" onClick={copy} aria-live="polite" w={96}>
              {copied ? 'Copied' : 'Copy'}
            </Button>
          )}
        </CopyButton>
      </Group>
    </Stack>
  );
}

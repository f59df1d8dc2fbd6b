import { Box, Button, Group, List, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { api, type Enrollment } from '../../api';
import { AuthCodeField, CODE_HINT, isCompleteCode } from '../../components/AuthCodeField';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { useAction } from '../../hooks/useAction';
import { usePageTitle } from '../../hooks/usePageTitle';
import { flowExpired } from './flowExpired';
import { ManualKey } from './ManualKey';
import { SuccessDialog } from './SuccessDialog';

function SetupStep({ number, title, children }: { number: number; title: string; children: ReactNode }) {
  return (
    <Box component="li">
      <Group align="flex-start" wrap="nowrap" gap="md">
        <ThemeIcon size={32} radius="xl" aria-hidden="true" style={{ flexShrink: 0 }}>
          <Text fw={700} size="sm" c="white">
            {number}
          </Text>
        </ThemeIcon>
        <Stack gap="xs" style={{ flex: 1, minWidth: 0 }}>
          <Title order={2} size="h4" mt={4}>
            {title}
          </Title>
          {children}
        </Stack>
      </Group>
    </Box>
  );
}

interface SetUp2faProps {
  enrollment: Enrollment;
  /** "dana at Acme Managed IT", for the recovery codes file. */
  account?: string;
  onExpired: (message: string) => void;
  onFinish: (redirectTo?: string) => void;
}

/** The seed's "Set Up 2FA" window: get an app, add the account, prove it with a code. */
export function SetUp2fa({ enrollment, account, onExpired, onFinish }: SetUp2faProps) {
  usePageTitle('Set Up 2FA');
  const [code, setCode] = useState('');
  const [incomplete, setIncomplete] = useState(false);
  const [done, setDone] = useState<{ redirectTo?: string; recoveryCodes?: string[] } | null>(null);
  const verify = useAction();
  const codeRef = useRef<HTMLInputElement>(null);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setIncomplete(!isCompleteCode(code));
    if (!isCompleteCode(code)) return codeRef.current?.focus();
    const result = await verify.run(() => api.login.enrollVerify(code), flowExpired(onExpired));
    if (result?.step === 'done') return setDone({ redirectTo: result.redirectTo, recoveryCodes: result.recoveryCodes });
    setCode('');
    codeRef.current?.focus();
  };

  return (
    <Stack gap="lg">
      <div>
        {/* Focus lands here after Get Started, which is gone now. */}
        <PageHeading focus>Set Up 2FA</PageHeading>
        <Text size="sm" c="dimmed" mt={4}>
          Three steps, once. Keep this page open while you use your phone.
        </Text>
      </div>
      {/* role="list": Safari drops list semantics from lists styled without bullets. */}
      <Stack component="ol" role="list" gap="xl" p={0} m={0} style={{ listStyle: 'none' }}>
        <SetupStep number={1} title="Get an authenticator app">
          <Text size="sm">Install one of these apps on your mobile phone from its app store, or use one you already have:</Text>
          <List size="sm" spacing={2} style={{ columns: 2 }}>
            {enrollment.apps.map((app) => (
              <List.Item key={app}>{app}</List.Item>
            ))}
          </List>
        </SetupStep>

        <SetupStep number={2} title="Scan the QR code">
          <Text size="sm">In the app, add an account and scan this code with your phone's camera.</Text>
          <Paper withBorder p="xs" radius="md" bg="white" w="fit-content">
            <img src={enrollment.qrCodeDataUrl} alt="QR code for your authenticator app" width={176} height={176} style={{ display: 'block' }} />
          </Paper>
          <Text size="sm" c="dimmed">
            <Text span fw={600} c="var(--mantine-color-text)">
              Important:
            </Text>{' '}
            if you use Microsoft Authenticator, we recommend entering the key by hand (the option below) instead of scanning, to avoid
            overwriting an existing 2FA account. This is a known Microsoft bug.
          </Text>
          <ManualKey enrollment={enrollment} />
        </SetupStep>

        <SetupStep number={3} title="Enter the Authentication Code">
          <form onSubmit={onSubmit} noValidate>
            <Stack gap="sm">
              <Text size="sm">Type the 6-digit code the app now shows for Gatehouse. It changes every 30 seconds.</Text>
              <ErrorAlert message={verify.error?.message} />
              <AuthCodeField inputRef={codeRef} value={code} onChange={setCode} error={incomplete ? CODE_HINT : undefined} />
              <Group>
                <Button type="submit" size="md" loading={verify.pending}>
                  Next
                </Button>
              </Group>
            </Stack>
          </form>
        </SetupStep>
      </Stack>
      <SuccessDialog
        opened={done !== null}
        onDone={() => onFinish(done?.redirectTo)}
        recoveryCodes={done?.recoveryCodes}
        account={account}
      />
    </Stack>
  );
}

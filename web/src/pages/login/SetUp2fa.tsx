import { Box, Button, Group, List, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { totpCode } from '@contract';
import { useState, type ReactNode } from 'react';
import { z } from 'zod';
import { api, type Enrollment, type LoginState } from '../../api';
import { AuthCodeField } from '../../components/AuthCodeField';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { useApiForm } from '../../forms';
import { usePageTitle } from '../../hooks/usePageTitle';
import { flowExpired } from './flowExpired';
import { ManualKey } from './ManualKey';
import { SuccessDialog } from './SuccessDialog';

const codeSchema = z.object({ code: totpCode });
/** A refused code is about the field: the server's advice goes under it, not into a second alert. */
const CODE_ERRORS = { 'totp.invalid_code': 'code', 'totp.code_refused': 'code', 'totp.already_used': 'code' };

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
  onExpired: (message: string, code: string) => void;
  /** After Done: the login's next step ('done', or 'key_enroll' where the company requires a key). */
  onNext: (next: LoginState) => void;
}

/** The seed's "Set Up 2FA" window: get an app, add the account, prove it with a code. */
export function SetUp2fa({ enrollment, account, onExpired, onNext }: SetUp2faProps) {
  usePageTitle('Set Up 2FA');
  const [done, setDone] = useState<{ next: LoginState; recoveryCodes?: string[] } | null>(null);
  const { form, ref, summary, pending, submit } = useApiForm({
    initialValues: { code: '' },
    schema: codeSchema,
    codeToField: CODE_ERRORS,
    codeMessageWins: true,
  });

  const onSubmit = submit(
    ({ code }) => api.login.enrollVerify(code),
    ({ recoveryCodes, ...next }) => {
      // The app is set up either way; a company that requires a key has one added next (key_enroll).
      if (next.step === 'done' || next.step === 'key_enroll') setDone({ next, recoveryCodes });
    },
    (error) => {
      if (flowExpired(onExpired)(error)) return true;
      // A refused code is spent or wrong: start the field afresh (before its message is shown).
      form.setFieldValue('code', '');
      return false;
    },
  );

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
          <form ref={ref} onSubmit={onSubmit} noValidate>
            <Stack gap="sm">
              <Text size="sm">Type the 6-digit code the app now shows for Gatehouse. It changes every 30 seconds.</Text>
              <ErrorAlert message={summary} />
              <AuthCodeField
                value={form.values.code}
                onChange={(code) => form.setFieldValue('code', code)}
                error={form.errors.code as string | undefined}
              />
              <Group>
                <Button type="submit" size="md" loading={pending}>
                  Next
                </Button>
              </Group>
            </Stack>
          </form>
        </SetupStep>
      </Stack>
      <SuccessDialog
        opened={done !== null}
        onDone={() => done && onNext(done.next)}
        recoveryCodes={done?.recoveryCodes}
        account={account}
        keyNext={done?.next.step === 'key_enroll'}
      />
    </Stack>
  );
}

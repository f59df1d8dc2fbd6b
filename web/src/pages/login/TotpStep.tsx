import { Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { totpCode } from '@contract';
import { useRef, useState } from 'react';
import { z } from 'zod';
import { api } from '../../api';
import { sendLoginAnswer } from '../../api/loginAnswer';
import { recoveryApi } from '../../api/recovery';
import { securityKeysApi } from '../../api/securityKeys';
import { useAction } from '../../hooks/useAction';
import { AuthCodeField } from '../../components/AuthCodeField';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { useApiForm } from '../../forms';
import { usePageTitle } from '../../hooks/usePageTitle';
import { codeRefused, flowExpired } from './flowExpired';
import type { StepProps } from './LoginPage';
import { WhoBox } from './WhoBox';

// Ten letters a-z and digits 2-7; case, spaces and dashes do not matter (docs/API.md).
const looksLikeRecoveryCode = (code: string) => /^[a-z2-7]{10}$/i.test(code.replace(/[\s-]/g, ''));
const RECOVERY_HINT = 'Enter one of your recovery codes, like abcd-efgh-23.';

const appSchema = z.object({ code: totpCode });
const recoverySchema = z.object({ code: z.string().trim().refine(looksLikeRecoveryCode, RECOVERY_HINT) });
/** A refused code is about the field: the server's advice goes under it, not into a second alert. */
const CODE_ERRORS = {
  'totp.invalid_code': 'code',
  'totp.already_used': 'code',
  'recovery.invalid_code': 'code',
  'recovery.already_used': 'code',
};

export function TotpStep({ flow, onAdvance, onExpired, onRestart }: StepProps) {
  usePageTitle('Two-Factor Authentication');
  // Lost phone: a recovery code takes the app's place, at the same step.
  // A user who chose a key over the app has no app: the field takes a recovery code.
  const hasApp = flow.secondFactors?.includes('app') ?? true;
  const [useRecovery, setUseRecovery] = useState(!hasApp);
  const { form, ref, summary, pending, submit } = useApiForm({
    initialValues: { code: '' },
    schema: useRecovery ? recoverySchema : appSchema,
    codeToField: CODE_ERRORS,
    codeMessageWins: true,
  });
  const inputRef = useRef<HTMLInputElement>(null);
  // A user with a passkey or security key is offered it first; the app code still works.
  const offersKey = flow.secondFactors?.includes('key') ?? false;
  const keyLogin = useAction();
  const signInWithKey = async () => {
    const next = await keyLogin.run(() => securityKeysApi.loginWithKey(), flowExpired(onExpired));
    if (next) onAdvance(next);
  };

  const switchMode = () => {
    setUseRecovery((value) => !value);
    form.reset();
    // The field is replaced; focus the new one once it is there.
    setTimeout(() => inputRef.current?.focus(), 0);
  };

  // A copy of this answer checked meanwhile (a retry, another tab) is waited out: the
  // form stays busy while the answer is sent again (api/loginAnswer.ts).
  const onSubmit = submit(
    ({ code }) => sendLoginAnswer(() => (useRecovery ? recoveryApi.loginWithRecoveryCode(code) : api.login.totp(code))),
    (next) => onAdvance(next),
    codeRefused(onExpired, () => form.setFieldValue('code', '')),
  );

  return (
    <form ref={ref} onSubmit={onSubmit} noValidate>
      <Stack gap="md">
        <div>
          <PageHeading>Two-Factor Authentication</PageHeading>
          <Text size="sm" c="dimmed" mt={4}>
            {useRecovery
              ? 'Enter one of the recovery codes you saved when you set up 2FA. Each code works once.'
              : 'Open your authenticator app and enter the current code for Gatehouse.'}
          </Text>
        </div>
        <WhoBox username={flow.username} companyName={flow.companyName} onChange={onRestart} />
        <ErrorAlert message={summary ?? keyLogin.error?.message} />
        {offersKey && (
          <>
            <Button size="md" fullWidth variant="light" loading={keyLogin.pending} onClick={() => void signInWithKey()}>
              Use a passkey or security key
            </Button>
            <Text size="sm" c="dimmed" ta="center">or enter a code</Text>
          </>
        )}
        {useRecovery ? (
          <TextInput
            ref={inputRef}
            label="Recovery Code"
            name="recoveryCode"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={64}
            {...form.getInputProps('code')}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', letterSpacing: '0.08em' } }}
          />
        ) : (
          <AuthCodeField
            inputRef={inputRef}
            autoFocus={!offersKey}
            value={form.values.code}
            onChange={(code) => form.setFieldValue('code', code)}
            error={form.errors.code as string | undefined}
          />
        )}
        <Button type="submit" size="md" fullWidth loading={pending}>
          Verify
        </Button>
        {hasApp && (
          <Text size="sm" ta="center">
            <Anchor component="button" type="button" size="sm" onClick={switchMode}>
              {useRecovery ? 'Use the authenticator app instead' : 'Use a recovery code'}
            </Anchor>
          </Text>
        )}
      </Stack>
    </form>
  );
}

import { Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import { api } from '../../api';
import { recoveryApi } from '../../api/recovery';
import { AuthCodeField, CODE_HINT, isCompleteCode } from '../../components/AuthCodeField';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { formErrors } from '../../formErrors';
import { useAction } from '../../hooks/useAction';
import { usePageTitle } from '../../hooks/usePageTitle';
import { flowExpired } from './flowExpired';
import type { StepProps } from './LoginPage';
import { WhoBox } from './WhoBox';

// Ten letters a-z and digits 2-7; case, spaces and dashes do not matter (docs/API.md).
const looksLikeRecoveryCode = (code: string) => /^[a-z2-7]{10}$/i.test(code.replace(/[\s-]/g, ''));
const RECOVERY_HINT = 'Enter one of your recovery codes, like abcd-efgh-23.';

export function TotpStep({ flow, onAdvance, onExpired, onRestart }: StepProps) {
  usePageTitle('Two-Factor Authentication');
  // Lost phone: a recovery code takes the app's place, at the same step.
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState('');
  const [incomplete, setIncomplete] = useState(false);
  const action = useAction();
  const inputRef = useRef<HTMLInputElement>(null);
  const { fields, summary } = formErrors(action.error, { 'recovery.invalid_code': 'code', 'recovery.already_used': 'code' });

  const switchMode = () => {
    setUseRecovery((value) => !value);
    setCode('');
    setIncomplete(false);
    action.setError(null);
    // The field is replaced; focus the new one once it is there.
    setTimeout(() => inputRef.current?.focus(), 0);
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const ok = useRecovery ? looksLikeRecoveryCode(code) : isCompleteCode(code);
    setIncomplete(!ok);
    if (!ok) return inputRef.current?.focus();
    const next = await action.run(
      () => (useRecovery ? recoveryApi.loginWithRecoveryCode(code.trim()) : api.login.totp(code)),
      flowExpired(onExpired),
    );
    if (next) return onAdvance(next);
    setCode('');
    inputRef.current?.focus();
  };

  return (
    <form onSubmit={onSubmit} noValidate>
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
        <ErrorAlert message={useRecovery ? summary : action.error?.message} />
        {useRecovery ? (
          <TextInput
            ref={inputRef}
            label="Recovery Code"
            name="recoveryCode"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={64}
            value={code}
            onChange={(event) => setCode(event.currentTarget.value)}
            error={incomplete ? RECOVERY_HINT : fields.code}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', letterSpacing: '0.08em' } }}
          />
        ) : (
          <AuthCodeField inputRef={inputRef} autoFocus value={code} onChange={setCode} error={incomplete ? CODE_HINT : undefined} />
        )}
        <Button type="submit" size="md" fullWidth loading={action.pending}>
          Verify
        </Button>
        <Text size="sm" ta="center">
          <Anchor component="button" type="button" size="sm" onClick={switchMode}>
            {useRecovery ? 'Use the authenticator app instead' : 'Use a recovery code'}
          </Anchor>
        </Text>
      </Stack>
    </form>
  );
}

import { Button, Stack, Text } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import { api } from '../../api';
import { AuthCodeField, CODE_HINT, isCompleteCode } from '../../components/AuthCodeField';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { useAction } from '../../hooks/useAction';
import { usePageTitle } from '../../hooks/usePageTitle';
import { flowExpired } from './flowExpired';
import type { StepProps } from './LoginPage';
import { WhoBox } from './WhoBox';

export function TotpStep({ flow, onAdvance, onExpired, onRestart }: StepProps) {
  usePageTitle('Two-Factor Authentication');
  const [code, setCode] = useState('');
  const [incomplete, setIncomplete] = useState(false);
  const action = useAction();
  const inputRef = useRef<HTMLInputElement>(null);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setIncomplete(!isCompleteCode(code));
    if (!isCompleteCode(code)) return inputRef.current?.focus();
    const next = await action.run(() => api.login.totp(code), flowExpired(onExpired));
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
            Open your authenticator app and enter the current code for Gatehouse.
          </Text>
        </div>
        <WhoBox username={flow.username} companyName={flow.companyName} onChange={onRestart} />
        <ErrorAlert message={action.error?.message} />
        <AuthCodeField inputRef={inputRef} autoFocus value={code} onChange={setCode} error={incomplete ? CODE_HINT : undefined} />
        <Button type="submit" size="md" fullWidth loading={action.pending}>
          Verify
        </Button>
      </Stack>
    </form>
  );
}

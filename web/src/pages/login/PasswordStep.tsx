import { Anchor, Button, PasswordInput, Stack, Text } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import { api } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { visibilityToggle } from '../../components/visibilityToggle';
import { useAction } from '../../hooks/useAction';
import { usePageTitle } from '../../hooks/usePageTitle';
import { flowExpired } from './flowExpired';
import type { StepProps } from './LoginPage';
import { WhoBox } from './WhoBox';

export function PasswordStep({ flow, onAdvance, onExpired, onRestart, onForgot }: StepProps) {
  usePageTitle('Log In');
  const [password, setPassword] = useState('');
  const [empty, setEmpty] = useState(false);
  const action = useAction();
  const inputRef = useRef<HTMLInputElement>(null);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setEmpty(!password);
    if (!password) return inputRef.current?.focus();
    const next = await action.run(
      () => api.login.password(password),
      flowExpired(onExpired),
    );
    if (next) return onAdvance(next);
    // A wrong password is cleared and focused so the next attempt starts right there.
    setPassword('');
    inputRef.current?.focus();
  };

  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack gap="md">
        <div>
          <PageHeading>Enter Your Password</PageHeading>
          <Text size="sm" c="dimmed" mt={4}>
            Logging in as
          </Text>
        </div>
        <WhoBox username={flow.username} companyName={flow.companyName} onChange={onRestart} />
        {/* Lets password managers match the saved password to this username. */}
        <input type="text" name="username" autoComplete="username" value={flow.username ?? ''} readOnly hidden />
        <ErrorAlert message={action.error?.message} />
        <PasswordInput
          ref={inputRef}
          label="Password"
          name="password"
          autoComplete="current-password"
          required
          autoFocus
          value={password}
          onChange={(event) => setPassword(event.currentTarget.value)}
          error={empty ? 'Enter your password.' : undefined}
          {...visibilityToggle}
        />
        <Button type="submit" size="md" fullWidth loading={action.pending}>
          Log In
        </Button>
        <Text size="sm" ta="center">
          <Anchor component="button" type="button" size="sm" onClick={() => onForgot('password')}>
            Forgot password?
          </Anchor>
        </Text>
      </Stack>
    </form>
  );
}

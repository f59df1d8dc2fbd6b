import { Anchor, Button, PasswordInput, Stack, Text } from '@mantine/core';
import { api } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { visibilityToggle } from '../../components/visibilityToggle';
import { useApiForm } from '../../forms';
import { passwordStepSchema } from '../../forms/schemas';
import { usePageTitle } from '../../hooks/usePageTitle';
import { flowExpired } from './flowExpired';
import type { StepProps } from './LoginPage';
import { WhoBox } from './WhoBox';

export function PasswordStep({ flow, onAdvance, onExpired, onRestart, onForgot }: StepProps) {
  usePageTitle('Log In');
  const { form, ref, summary, pending, submit } = useApiForm({ initialValues: { password: '' }, schema: passwordStepSchema });

  const onSubmit = submit(
    ({ password }) => api.login.password(password),
    (next) => onAdvance(next),
    (error) => {
      if (flowExpired(onExpired)(error)) return true;
      // A wrong password is cleared (before its message shows) so the next attempt starts afresh.
      form.setFieldValue('password', '');
      return false;
    },
  );

  return (
    <form ref={ref} onSubmit={onSubmit} noValidate>
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
        <ErrorAlert message={summary} />
        <PasswordInput
          label="Password"
          name="password"
          autoComplete="current-password"
          required
          autoFocus
          {...form.getInputProps('password')}
          {...visibilityToggle}
        />
        <Button type="submit" size="md" fullWidth loading={pending}>
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

import { Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { Link } from 'react-router';
import { api } from '../../api';
import { securityKeysApi } from '../../api/securityKeys';
import { useAction } from '../../hooks/useAction';
import { supportsPasskeys } from '../../webauthn';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { useApiForm } from '../../forms';
import { identifySchema } from '../../forms/schemas';
import { usePageTitle } from '../../hooks/usePageTitle';
import type { StepProps } from './LoginPage';
import { returnTo } from './returnTo';

interface IdentifyStepProps extends StepProps {
  initialUsername?: string;
  initialCompanyName?: string;
}

export function IdentifyStep({ flow, onAdvance, onForgot, initialUsername, initialCompanyName }: IdentifyStepProps) {
  usePageTitle('Log In');
  const { form, ref, summary, pending, submit } = useApiForm({
    initialValues: { username: flow.username ?? initialUsername ?? '', companyName: flow.companyName ?? initialCompanyName ?? '' },
    schema: identifySchema,
  });
  // Straight to the field still to fill in, e.g. after Set filled both in for the user.
  const focusCompany = Boolean(form.values.username) && !form.values.companyName;

  const onSubmit = submit(({ username, companyName }) => api.login.identify(username, companyName, returnTo()), onAdvance);
  // A passkey names the user and the company itself: nothing to type.
  const passkey = useAction();
  const logInWithPasskey = async () => {
    const next = await passkey.run(() => securityKeysApi.loginWithPasskey(returnTo()));
    if (next) onAdvance(next);
  };

  return (
    <form ref={ref} onSubmit={onSubmit} noValidate>
      <Stack gap="md">
        <div>
          <PageHeading>Log In</PageHeading>
          <Text size="sm" c="dimmed" mt={4}>
            Enter your username and the name of your company.
          </Text>
        </div>
        <ErrorAlert message={summary ?? passkey.error?.message} />
        <TextInput
          label="Username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          autoFocus={!focusCompany}
          {...form.getInputProps('username')}
        />
        <TextInput
          label="Company Name"
          name="companyName"
          autoComplete="organization"
          required
          autoFocus={focusCompany}
          {...form.getInputProps('companyName')}
        />
        <Button type="submit" size="md" fullWidth loading={pending}>
          Next
        </Button>
        {supportsPasskeys() && (
          <Button type="button" size="md" fullWidth variant="default" loading={passkey.pending} onClick={() => void logInWithPasskey()}>
            Log in with a passkey
          </Button>
        )}
        <Text size="sm" ta="center">
          <Anchor component="button" type="button" size="sm" onClick={() => onForgot('company')}>
            Forgot company name?
          </Anchor>
        </Text>
        <Text size="sm" ta="center" c="dimmed">
          Your company has no Gatehouse account yet?{' '}
          <Anchor component={Link} to="/request-account">
            Request a company account
          </Anchor>
        </Text>
      </Stack>
    </form>
  );
}

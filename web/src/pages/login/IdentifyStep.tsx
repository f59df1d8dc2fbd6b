import { Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, type FieldErrors } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { formErrors } from '../../forms/errors';
import { useAction } from '../../hooks/useAction';
import { useFocusFirstInvalid } from '../../hooks/useFocusFirstInvalid';
import { usePageTitle } from '../../hooks/usePageTitle';
import type { StepProps } from './LoginPage';

/**
 * A module's sign-in ("Log In with Gatehouse") sends people here with
 * ?return=/oidc-interaction/<id>; the server checks the path and hands it back when the
 * login is done, so the module's sign-in continues.
 */
function returnTo(): string | undefined {
  const value = new URLSearchParams(window.location.search).get('return');
  return value && /^\/oidc-interaction\/[A-Za-z0-9_-]{1,64}$/.test(value) ? value : undefined;
}

interface IdentifyStepProps extends StepProps {
  initialUsername?: string;
  initialCompanyName?: string;
}

export function IdentifyStep({ flow, onAdvance, onForgot, initialUsername, initialCompanyName }: IdentifyStepProps) {
  usePageTitle('Log In');
  const [username, setUsername] = useState(flow.username ?? initialUsername ?? '');
  const [companyName, setCompanyName] = useState(flow.companyName ?? initialCompanyName ?? '');
  const [checked, setChecked] = useState<FieldErrors>({});
  const action = useAction();
  const formRef = useRef<HTMLFormElement>(null);
  const { fields, summary } = formErrors(action.error);
  const errors = { ...fields, ...checked };
  useFocusFirstInvalid(formRef, action.error ?? (Object.keys(checked).length ? checked : null));
  // Straight to the field still to fill in, e.g. after Set filled both in for the user.
  const focusCompany = Boolean(username) && !companyName;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const problems: FieldErrors = {};
    if (!username.trim()) problems.username = 'Enter your username.';
    if (!companyName.trim()) problems.companyName = 'Enter your company name.';
    setChecked(problems);
    if (Object.keys(problems).length) return;
    const next = await action.run(() => api.login.identify(username.trim(), companyName.trim(), returnTo()));
    if (next) onAdvance(next);
  };

  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate>
      <Stack gap="md">
        <div>
          <PageHeading>Log In</PageHeading>
          <Text size="sm" c="dimmed" mt={4}>
            Enter your username and the name of your company.
          </Text>
        </div>
        <ErrorAlert message={summary} />
        <TextInput
          label="Username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          autoFocus={!focusCompany}
          value={username}
          onChange={(event) => setUsername(event.currentTarget.value)}
          error={errors.username}
        />
        <TextInput
          label="Company Name"
          name="companyName"
          autoComplete="organization"
          required
          autoFocus={focusCompany}
          value={companyName}
          onChange={(event) => setCompanyName(event.currentTarget.value)}
          error={errors.companyName}
        />
        <Button type="submit" size="md" fullWidth loading={action.pending}>
          Next
        </Button>
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

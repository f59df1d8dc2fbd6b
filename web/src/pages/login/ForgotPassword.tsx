import { Alert, Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import type { FieldErrors } from '../../api';
import { recoveryApi } from '../../api/recovery';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { formErrors } from '../../forms/errors';
import { useAction } from '../../hooks/useAction';
import { useFocusFirstInvalid } from '../../hooks/useFocusFirstInvalid';
import { usePageTitle } from '../../hooks/usePageTitle';

interface ForgotPasswordProps {
  initialUsername?: string;
  initialCompanyName?: string;
  onBack: () => void;
}

/**
 * Asks for a reset link. The answer is the same whether or not the account exists, so the
 * page only repeats it: it never says whether the names were right.
 */
export function ForgotPassword({ initialUsername = '', initialCompanyName = '', onBack }: ForgotPasswordProps) {
  usePageTitle('Forgot Password');
  const [username, setUsername] = useState(initialUsername);
  const [companyName, setCompanyName] = useState(initialCompanyName);
  const [checked, setChecked] = useState<FieldErrors>({});
  const [answer, setAnswer] = useState<string | null>(null);
  const action = useAction();
  const formRef = useRef<HTMLFormElement>(null);
  const { fields, summary } = formErrors(action.error);
  const errors = { ...fields, ...checked };
  useFocusFirstInvalid(formRef, action.error ?? (Object.keys(checked).length ? checked : null));

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const problems: FieldErrors = {};
    if (!username.trim()) problems.username = 'Enter your username.';
    if (!companyName.trim()) problems.companyName = 'Enter your company name.';
    setChecked(problems);
    if (Object.keys(problems).length) return;
    const result = await action.run(() => recoveryApi.forgotPassword(username.trim(), companyName.trim()));
    if (result) setAnswer(result.message);
  };

  if (answer) {
    return (
      <Stack gap="md">
        <PageHeading focus>Check Your Email</PageHeading>
        <Alert color="teal" variant="light" role="status">
          {answer}
        </Alert>
        <Text size="sm" c="dimmed">
          After you choose a new password, you still log in with the code from your authenticator app (or a recovery
          code). Nothing arrived? Check your spam folder, or ask your company's Master to help.
        </Text>
        <Button variant="default" onClick={onBack}>
          Back to Log In
        </Button>
      </Stack>
    );
  }

  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate>
      <Stack gap="md">
        <div>
          <PageHeading focus>Forgot Password</PageHeading>
          <Text size="sm" c="dimmed" mt={4}>
            Enter your username and company name. If they match an account, we email a link to choose a new password.
          </Text>
        </div>
        <ErrorAlert message={summary} />
        <TextInput
          label="Username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          value={username}
          onChange={(event) => setUsername(event.currentTarget.value)}
          error={errors.username}
        />
        <TextInput
          label="Company Name"
          name="companyName"
          autoComplete="organization"
          value={companyName}
          onChange={(event) => setCompanyName(event.currentTarget.value)}
          error={errors.companyName}
        />
        <Button type="submit" size="md" fullWidth loading={action.pending}>
          Send Reset Link
        </Button>
        <Text size="sm" ta="center">
          <Anchor component="button" type="button" size="sm" onClick={onBack}>
            Back to Log In
          </Anchor>
        </Text>
      </Stack>
    </form>
  );
}

import { Alert, Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { recoveryApi } from '../../api/recovery';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { useApiForm } from '../../forms';
import { forgotPasswordSchema } from '../../forms/schemas';
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
  const [answer, setAnswer] = useState<string | null>(null);
  const { form, ref, summary, pending, submit } = useApiForm({
    initialValues: { username: initialUsername, companyName: initialCompanyName },
    schema: forgotPasswordSchema,
  });

  const onSubmit = submit(
    ({ username, companyName }) => recoveryApi.forgotPassword(username, companyName),
    (result) => setAnswer(result.message),
  );

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
    <form ref={ref} onSubmit={onSubmit} noValidate>
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
          {...form.getInputProps('username')}
        />
        <TextInput
          label="Company Name"
          name="companyName"
          autoComplete="organization"
          {...form.getInputProps('companyName')}
        />
        <Button type="submit" size="md" fullWidth loading={pending}>
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

import { Alert, Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { recoveryApi } from '../../api/recovery';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { useApiForm } from '../../forms';
import { forgotCompanySchema } from '../../forms/schemas';
import { usePageTitle } from '../../hooks/usePageTitle';

/** Emails the companies an address can log in to; the answer never says whether it can. */
export function ForgotCompany({ onBack }: { onBack: () => void }) {
  usePageTitle('Forgot Company Name');
  const [answer, setAnswer] = useState<string | null>(null);
  const { form, ref, summary, pending, submit } = useApiForm({ initialValues: { email: '' }, schema: forgotCompanySchema });

  const onSubmit = submit(({ email }) => recoveryApi.forgotCompany(email), (result) => setAnswer(result.message));

  if (answer) {
    return (
      <Stack gap="md">
        <PageHeading focus>Check Your Email</PageHeading>
        <Alert color="teal" variant="light" role="status">
          {answer}
        </Alert>
        <Text size="sm" c="dimmed">
          The email lists each company with your username in it. Nothing arrived? Check your spam folder, or ask your
          company's Master.
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
          <PageHeading focus>Forgot Company Name</PageHeading>
          <Text size="sm" c="dimmed" mt={4}>
            Enter the email address of your Gatehouse account. We email you the names of the companies you can log in to.
          </Text>
        </div>
        <ErrorAlert message={summary} />
        <TextInput
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          {...form.getInputProps('email')}
        />
        <Button type="submit" size="md" fullWidth loading={pending}>
          Send Company Names
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

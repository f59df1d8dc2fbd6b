import { Alert, Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import { recoveryApi } from '../../api/recovery';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { formErrors } from '../../forms/errors';
import { useAction } from '../../hooks/useAction';
import { useFocusFirstInvalid } from '../../hooks/useFocusFirstInvalid';
import { usePageTitle } from '../../hooks/usePageTitle';

/** Emails the companies an address can log in to; the answer never says whether it can. */
export function ForgotCompany({ onBack }: { onBack: () => void }) {
  usePageTitle('Forgot Company Name');
  const [email, setEmail] = useState('');
  const [checked, setChecked] = useState<string | null>(null);
  const [answer, setAnswer] = useState<string | null>(null);
  const action = useAction();
  const formRef = useRef<HTMLFormElement>(null);
  const { fields, summary } = formErrors(action.error);
  useFocusFirstInvalid(formRef, action.error ?? checked);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const value = email.trim();
    const problem = !value ? 'Enter your email address.' : /^[^\s@]+@[^\s@]+$/.test(value) ? null : 'Enter a valid email address.';
    setChecked(problem);
    if (problem) return;
    const result = await action.run(() => recoveryApi.forgotCompany(value));
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
    <form ref={formRef} onSubmit={onSubmit} noValidate>
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
          value={email}
          onChange={(event) => {
            setEmail(event.currentTarget.value);
            setChecked(null);
          }}
          error={checked ?? fields.email}
        />
        <Button type="submit" size="md" fullWidth loading={action.pending}>
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

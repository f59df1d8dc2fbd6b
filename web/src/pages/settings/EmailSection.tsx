import { Alert, Button, Group, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { meApi, type Profile } from '../../api/me';
import { ErrorAlert } from '../../components/ErrorAlert';
import { visibilityToggle } from '../../components/visibilityToggle';
import { useApiForm } from '../../forms';
import { emailChangeSchema } from '../../forms/schemas';
import { formatTime } from '../../format';
import { SettingsCard } from './SettingsCard';

/** A change of address takes effect only once confirmed from the new inbox. */
export function EmailSection({ profile, onRequested }: { profile: Profile; onRequested: () => void }) {
  const [sent, setSent] = useState<{ email: string; expiresAt: string } | null>(null);
  const [withdrawn, setWithdrawn] = useState(false);
  const { form, ref, summary, pending: sending, submit } = useApiForm({
    initialValues: { email: '', password: '' },
    schema: emailChangeSchema,
    codeToField: { 'email.unchanged': 'email', 'password.current_invalid': 'password' },
  });

  const onSubmit = submit(
    ({ email, password }) => meApi.changeEmail(email, password),
    (result) => {
      form.reset();
      // The current address asked for again: the change waiting was withdrawn.
      setSent(result.pendingEmail === null || result.expiresAt === null ? null : { email: result.pendingEmail, expiresAt: result.expiresAt });
      setWithdrawn(result.pendingEmail === null);
      onRequested();
    },
    () => {
      // The password is typed again for the next try (before the message shows).
      form.setFieldValue('password', '');
      return false;
    },
  );

  const pending = withdrawn ? null : (sent?.email ?? profile.pendingEmail);

  return (
    <SettingsCard title="Email" description={<>Your address now: <strong>{profile.email ?? 'none'}</strong>. Password reset links and notices go here.</>}>
      {sent ? (
        <Alert color="teal" variant="light" role="status" title="Check your new inbox">
          <Text size="sm">
            We sent a confirmation link to <strong>{sent.email}</strong>. Your address changes once you open it
            {formatTime(sent.expiresAt) ? ` (before ${formatTime(sent.expiresAt)})` : ''}. We also told your current address.
          </Text>
        </Alert>
      ) : withdrawn ? (
        <Alert color="teal" variant="light" role="status" title="Change withdrawn">
          <Text size="sm">Your address stays {profile.email}. The confirmation link we sent no longer works.</Text>
        </Alert>
      ) : (
        pending && (
          <Alert color="blue" variant="light">
            <Text size="sm">
              Waiting for confirmation of <strong>{pending}</strong>: open the link we sent there. A new request replaces it; to
              keep your current address instead, enter it as the new one.
            </Text>
          </Alert>
        )
      )}
      <ErrorAlert message={summary} />
      {profile.passwordManagedBy !== null ? (
        <Text size="sm">
          Your email address comes from {profile.passwordManagedBy}, which updates it each time you sign in. Change it there.
        </Text>
      ) : (
      <form ref={ref} onSubmit={onSubmit} noValidate>
        <Stack gap="sm">
          <Group grow align="flex-start" gap="sm" wrap="wrap">
            <TextInput
              label="New Email"
              type="email"
              autoComplete="email"
              miw={220}
              {...form.getInputProps('email')}
            />
            <PasswordInput
              label="Current Password"
              autoComplete="current-password"
              miw={220}
              {...form.getInputProps('password')}
              {...visibilityToggle}
            />
          </Group>
          <Group>
            <Button type="submit" loading={sending}>
              Change Email
            </Button>
          </Group>
        </Stack>
      </form>
      )}
    </SettingsCard>
  );
}

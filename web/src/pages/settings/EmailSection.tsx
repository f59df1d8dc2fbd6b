import { Alert, Button, Group, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import type { FieldErrors } from '../../api';
import { meApi, type Profile } from '../../api/me';
import { ErrorAlert } from '../../components/ErrorAlert';
import { visibilityToggle } from '../../components/visibilityToggle';
import { formErrors } from '../../forms/errors';
import { formatTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { useFocusFirstInvalid } from '../../hooks/useFocusFirstInvalid';
import { SettingsCard } from './SettingsCard';

/** A change of address takes effect only once confirmed from the new inbox. */
export function EmailSection({ profile, onRequested }: { profile: Profile; onRequested: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [checked, setChecked] = useState<FieldErrors>({});
  const [sent, setSent] = useState<{ email: string; expiresAt: string } | null>(null);
  const action = useAction();
  const formRef = useRef<HTMLFormElement>(null);
  const { fields, summary } = formErrors(action.error, { 'email.unchanged': 'email', 'password.current_invalid': 'password' });
  const errors = { ...fields, ...checked };
  useFocusFirstInvalid(formRef, action.error ?? (Object.keys(checked).length ? checked : null));

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const problems: FieldErrors = {};
    if (!email.trim()) problems.email = 'Enter the new email address.';
    else if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) problems.email = 'Enter a valid email address.';
    if (!password) problems.password = 'Enter your current password.';
    setChecked(problems);
    if (Object.keys(problems).length) return;
    const result = await action.run(() => meApi.changeEmail(email.trim(), password));
    setPassword('');
    if (!result) return;
    setSent({ email: result.pendingEmail, expiresAt: result.expiresAt });
    setEmail('');
    onRequested();
  };

  const pending = sent?.email ?? profile.pendingEmail;

  return (
    <SettingsCard title="Email" description={<>Your address now: <strong>{profile.email ?? 'none'}</strong>. Password reset links and notices go here.</>}>
      {sent ? (
        <Alert color="teal" variant="light" role="status" title="Check your new inbox">
          <Text size="sm">
            We sent a confirmation link to <strong>{sent.email}</strong>. Your address changes once you open it
            {formatTime(sent.expiresAt) ? ` (before ${formatTime(sent.expiresAt)})` : ''}. We also told your current address.
          </Text>
        </Alert>
      ) : (
        pending && (
          <Alert color="blue" variant="light">
            <Text size="sm">
              Waiting for confirmation of <strong>{pending}</strong>: open the link we sent there. A new request replaces it.
            </Text>
          </Alert>
        )
      )}
      <ErrorAlert message={summary} />
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <Stack gap="sm">
          <Group grow align="flex-start" gap="sm" wrap="wrap">
            <TextInput
              label="New Email"
              type="email"
              autoComplete="email"
              miw={220}
              value={email}
              onChange={(event) => {
                setEmail(event.currentTarget.value);
                setChecked({});
              }}
              error={errors.email}
            />
            <PasswordInput
              label="Current Password"
              autoComplete="current-password"
              miw={220}
              value={password}
              onChange={(event) => {
                setPassword(event.currentTarget.value);
                setChecked({});
              }}
              error={errors.password}
              {...visibilityToggle}
            />
          </Group>
          <Group>
            <Button type="submit" loading={action.pending}>
              Change Email
            </Button>
          </Group>
        </Stack>
      </form>
    </SettingsCard>
  );
}

import { Button, Group, PasswordInput, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import type { PasswordRule } from '../../api';
import { meApi } from '../../api/me';
import { ErrorAlert } from '../../components/ErrorAlert';
import { visibilityToggle } from '../../components/visibilityToggle';
import { useApiForm } from '../../forms';
import { passwordChangeSchema } from '../../forms/schemas';
import { keys, useInvalidate } from '../../data';
import { Notice } from '../../components/Notice';
import { checkNewPassword } from '../../components/newPassword/newPasswordCheck';
import { PasswordChecklist } from '../../components/newPassword/PasswordChecklist';
import { SettingsCard } from './SettingsCard';

const empty = { currentPassword: '', newPassword: '', confirm: '' };

/** A user created by single sign-on has no password here: where it lives is said instead of a form. */
export function PasswordSection({ rule, managedBy }: { rule: PasswordRule; managedBy: string | null }) {
  if (managedBy !== null) {
    return (
      <SettingsCard title="Password" description="You sign in through your company's identity provider.">
        <Text size="sm">Your password is managed by {managedBy}. Change it there; Gatehouse keeps no password for you.</Text>
      </SettingsCard>
    );
  }
  return <PasswordForm rule={rule} />;
}

function PasswordForm({ rule }: { rule: PasswordRule }) {
  const invalidate = useInvalidate();
  const [notice, setNotice] = useState<string | null>(null);
  const { form, ref, summary, pending, submit } = useApiForm({
    initialValues: empty,
    schema: passwordChangeSchema,
    check: (values) => checkNewPassword(values.newPassword, values.confirm, rule, { password: 'newPassword', confirm: 'confirm' }),
    codeToField: {
      'password.current_invalid': 'currentPassword',
      'password.mismatch': 'confirm',
      'password.too_weak': 'newPassword',
      'password.too_common': 'newPassword',
      'password.unchanged': 'newPassword',
    },
    // "The passwords do not match." is about both new-password fields.
    linked: { newPassword: ['confirm'], confirm: ['newPassword'] },
  });

  const onSubmit = submit(
    (change) => {
      setNotice(null);
      return meApi.changePassword(change);
    },
    () => {
      form.reset();
      setNotice('Your password is changed. You were signed out on every other device and module; this browser stays signed in.');
      // Every other session ended with the change.
      void invalidate(keys.me.sessions);
    },
    () => {
      // The current password is asked for again (before the message shows).
      form.setFieldValue('currentPassword', '');
      return false;
    },
  );

  return (
    <SettingsCard title="Password" description="Changing it signs you out everywhere else. Your company's password rule applies.">
      <Notice message={notice} onClose={() => setNotice(null)} />
      <ErrorAlert message={summary} />
      <form ref={ref} onSubmit={onSubmit} noValidate>
        <Stack gap="sm" maw={420}>
          <PasswordInput label="Current Password" autoComplete="current-password"
            {...form.getInputProps('currentPassword')} {...visibilityToggle} />
          <PasswordInput label="New Password" autoComplete="new-password"
            {...form.getInputProps('newPassword')} {...visibilityToggle} />
          <PasswordChecklist password={form.values.newPassword} id="new-password-rules" rule={rule} />
          <PasswordInput label="Confirm New Password" autoComplete="new-password"
            {...form.getInputProps('confirm')} {...visibilityToggle} />
          <Group>
            <Button type="submit" loading={pending}>
              Change Password
            </Button>
          </Group>
        </Stack>
      </form>
    </SettingsCard>
  );
}

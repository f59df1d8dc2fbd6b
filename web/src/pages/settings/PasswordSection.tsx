import { Button, Group, PasswordInput, Stack } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import type { FieldErrors, PasswordRule } from '../../api';
import { meApi } from '../../api/me';
import { ErrorAlert } from '../../components/ErrorAlert';
import { visibilityToggle } from '../../components/visibilityToggle';
import { formErrors } from '../../forms/errors';
import { keys, useInvalidate } from '../../data';
import { useAction } from '../../hooks/useAction';
import { useFocusFirstInvalid } from '../../hooks/useFocusFirstInvalid';
import { Notice } from '../../components/Notice';
import { checkNewPassword } from '../../components/newPassword/newPasswordCheck';
import { PasswordChecklist } from '../../components/newPassword/PasswordChecklist';
import { SettingsCard } from './SettingsCard';

const empty = { currentPassword: '', newPassword: '', confirm: '' };

export function PasswordSection({ rule }: { rule: PasswordRule }) {
  const invalidate = useInvalidate();
  const [values, setValues] = useState(empty);
  const [checked, setChecked] = useState<FieldErrors>({});
  const [notice, setNotice] = useState<string | null>(null);
  const action = useAction();
  const formRef = useRef<HTMLFormElement>(null);
  const { fields, summary } = formErrors(action.error, {
    'password.current_invalid': 'currentPassword',
    'password.mismatch': 'confirm',
    'password.too_weak': 'newPassword',
    'password.too_common': 'newPassword',
    'password.unchanged': 'newPassword',
  });
  const errors = { ...fields, ...checked };
  useFocusFirstInvalid(formRef, action.error ?? (Object.keys(checked).length ? checked : null));

  const set = (key: keyof typeof empty) => (event: { currentTarget: { value: string } }) => {
    const value = event.currentTarget.value;
    setValues((current) => ({ ...current, [key]: value }));
    setChecked({});
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setNotice(null);
    const problems: FieldErrors = {
      ...(values.currentPassword ? {} : { currentPassword: 'Enter your current password.' }),
      ...checkNewPassword(values.newPassword, values.confirm, rule, { password: 'newPassword', confirm: 'confirm' }),
    };
    setChecked(problems);
    if (Object.keys(problems).length) return;
    const result = await action.run(() => meApi.changePassword(values));
    if (!result) return setValues((current) => ({ ...current, currentPassword: '' }));
    setValues(empty);
    setNotice('Your password is changed. You were signed out on every other device and module; this browser stays signed in.');
    // Every other session ended with the change.
    void invalidate(keys.me.sessions);
  };

  return (
    <SettingsCard title="Password" description="Changing it signs you out everywhere else. Your company's password rule applies.">
      <Notice message={notice} onClose={() => setNotice(null)} />
      <ErrorAlert message={summary} />
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <Stack gap="sm" maw={420}>
          <PasswordInput label="Current Password" autoComplete="current-password"
            value={values.currentPassword} onChange={set('currentPassword')} error={errors.currentPassword} {...visibilityToggle} />
          <PasswordInput label="New Password" autoComplete="new-password"
            value={values.newPassword} onChange={set('newPassword')} error={errors.newPassword} {...visibilityToggle} />
          <PasswordChecklist password={values.newPassword} id="new-password-rules" rule={rule} />
          <PasswordInput label="Confirm New Password" autoComplete="new-password"
            value={values.confirm} onChange={set('confirm')} error={errors.confirm} {...visibilityToggle} />
          <Group>
            <Button type="submit" loading={action.pending}>
              Change Password
            </Button>
          </Group>
        </Stack>
      </form>
    </SettingsCard>
  );
}

import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { FieldErrors } from '../../api';
import { adminApi, type CompanyUser, type InvitableRole } from '../../api/admin';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formErrors } from '../../forms/errors';
import { useAction } from '../../hooks/useAction';
import { useFocusFirstInvalid } from '../../hooks/useFocusFirstInvalid';
import { RoleChoice } from './RoleChoice';

interface InviteDialogProps {
  opened: boolean;
  companyName: string;
  onClose: () => void;
  onInvited: (user: CompanyUser) => void;
}

const empty = { email: '', username: '', displayName: '' };
// The server's rule (docs/API.md), so the usual slip is named before the round trip.
const USERNAME = /^[\p{L}\p{N}._@-]{2,64}$/u;

function check(values: typeof empty): FieldErrors {
  const errors: FieldErrors = {};
  if (!values.email.trim()) errors.email = 'Enter an email address.';
  else if (!/^[^\s@]+@[^\s@]+$/.test(values.email.trim())) errors.email = 'Enter a valid email address.';
  if (!values.username.trim()) errors.username = 'Enter a username.';
  else if (!USERNAME.test(values.username.trim())) errors.username = 'Use 2-64 letters, digits, dots, dashes, underscores or @.';
  return errors;
}

/** The invite email carries a Sign Up link, like the Root Master's welcome email. */
export function InviteDialog({ opened, companyName, onClose, onInvited }: InviteDialogProps) {
  const [values, setValues] = useState(empty);
  const [role, setRole] = useState<InvitableRole>('user');
  const [checked, setChecked] = useState<FieldErrors>({});
  const action = useAction();
  const formRef = useRef<HTMLFormElement>(null);
  const { setError } = action;
  const { fields, summary } = formErrors(action.error, { 'user.username_taken': 'username' });
  const errors = { ...fields, ...checked };
  useFocusFirstInvalid(formRef, action.error ?? (Object.keys(checked).length ? checked : null));

  useEffect(() => {
    if (!opened) return;
    setValues(empty);
    setRole('user');
    setChecked({});
    setError(null);
  }, [opened, setError]);

  const set = (key: keyof typeof empty) => (event: { currentTarget: { value: string } }) => {
    const value = event.currentTarget.value;
    setValues((current) => ({ ...current, [key]: value }));
    setChecked((current) => {
      const rest = { ...current };
      delete rest[key];
      return rest;
    });
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const problems = check(values);
    setChecked(problems);
    if (Object.keys(problems).length) return;
    const displayName = values.displayName.trim();
    const result = await action.run(() =>
      adminApi.invite({ email: values.email.trim(), username: values.username.trim(), role, ...(displayName ? { displayName } : {}) }),
    );
    if (result) onInvited(result.user);
  };

  return (
    <Modal opened={opened} onClose={onClose} title="Invite User" size="lg" centered>
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <Stack gap="md">
          <Text size="sm" c="dimmed">
            We email a Sign Up link. The user sets a password, then logs in with the username and the company name{' '}
            <strong>{companyName}</strong>, and sets up 2FA.
          </Text>
          <ErrorAlert message={summary} />
          <TextInput label="Email" name="email" type="email" autoComplete="off" data-autofocus
            value={values.email} onChange={set('email')} error={errors.email} />
          <TextInput label="Username" name="username" autoComplete="off" autoCapitalize="none" spellCheck={false}
            description="Unique in your company. 2-64 letters, digits, dots, dashes, underscores or @."
            value={values.username} onChange={set('username')} error={errors.username} />
          <TextInput label="Display Name (optional)" name="displayName" autoComplete="off"
            description="How Gatehouse shows the user, for example their full name."
            value={values.displayName} onChange={set('displayName')} error={errors.displayName} />
          <RoleChoice value={role} onChange={setRole} error={errors.role} />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={action.pending}>
              Send Invite
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

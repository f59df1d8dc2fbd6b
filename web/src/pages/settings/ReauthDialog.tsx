import { Button, Group, Modal, PasswordInput, Stack } from '@mantine/core';
import { useEffect, type ReactNode } from 'react';
import { AuthCodeField } from '../../components/AuthCodeField';
import { ErrorAlert } from '../../components/ErrorAlert';
import { visibilityToggle } from '../../components/visibilityToggle';
import { useApiForm } from '../../forms';
import { reauthSchema } from '../../forms/schemas';

interface ReauthDialogProps<T> {
  opened: boolean;
  title: string;
  /** What happens, said before the password is typed. */
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onClose: () => void;
  submit: (password: string, code: string) => Promise<T>;
  onDone: (result: T) => void;
}

/** Proves it is really the user (password and a current authenticator code) before a 2FA change. */
export function ReauthDialog<T>({ opened, title, children, confirmLabel, danger, onClose, submit, onDone }: ReauthDialogProps<T>) {
  const { form, ref, summary, pending, submit: onSubmitWith, restart } = useApiForm({
    initialValues: { password: '', code: '' },
    schema: reauthSchema,
    codeToField: { 'password.current_invalid': 'password', 'totp.code_refused': 'code', 'totp.already_used': 'code' },
  });
  useEffect(() => {
    if (opened) restart();
  }, [opened, restart]);

  const onSubmit = onSubmitWith(
    ({ password, code }) => submit(password, code),
    onDone,
    () => {
      // A code works once, and the password is typed again: both start afresh (before the message shows).
      form.setValues({ password: '', code: '' });
      return false;
    },
  );

  return (
    <Modal opened={opened} onClose={onClose} title={title} centered>
      <form ref={ref} onSubmit={onSubmit} noValidate>
        <Stack gap="md">
          {children}
          <ErrorAlert message={summary} />
          <PasswordInput label="Password" autoComplete="current-password" data-autofocus
            {...form.getInputProps('password')} {...visibilityToggle} />
          <AuthCodeField value={form.values.code} onChange={(code) => form.setFieldValue('code', code)} error={form.errors.code as string | undefined} />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" color={danger ? 'red' : undefined} loading={pending}>
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

import { Button, Group, Modal, PasswordInput, Stack } from '@mantine/core';
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { FieldErrors } from '../../api';
import { AuthCodeField, CODE_HINT, isCompleteCode } from '../../components/AuthCodeField';
import { ErrorAlert } from '../../components/ErrorAlert';
import { visibilityToggle } from '../../components/visibilityToggle';
import { formErrors } from '../../forms/errors';
import { useAction } from '../../hooks/useAction';
import { useFocusFirstInvalid } from '../../hooks/useFocusFirstInvalid';

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
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [checked, setChecked] = useState<FieldErrors>({});
  const action = useAction();
  const formRef = useRef<HTMLFormElement>(null);
  const { setError } = action;
  const { fields, summary } = formErrors(action.error, { 'password.current_invalid': 'password', 'totp.code_refused': 'code', 'totp.already_used': 'code' });
  const errors = { ...fields, ...checked };
  useFocusFirstInvalid(formRef, action.error ?? (Object.keys(checked).length ? checked : null));

  useEffect(() => {
    if (!opened) return;
    setPassword('');
    setCode('');
    setChecked({});
    setError(null);
  }, [opened, setError]);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const problems: FieldErrors = {};
    if (!password) problems.password = 'Enter your password.';
    if (!isCompleteCode(code)) problems.code = CODE_HINT;
    setChecked(problems);
    if (Object.keys(problems).length) return;
    const result = await action.run(() => submit(password, code));
    // A code works once: the next try needs the app's next one.
    setCode('');
    if (result !== undefined) onDone(result);
    else setPassword('');
  };

  return (
    <Modal opened={opened} onClose={onClose} title={title} centered>
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <Stack gap="md">
          {children}
          <ErrorAlert message={summary} />
          <PasswordInput label="Password" autoComplete="current-password" data-autofocus
            value={password} onChange={(event) => { setPassword(event.currentTarget.value); setChecked({}); }}
            error={errors.password} {...visibilityToggle} />
          <AuthCodeField value={code} onChange={(value) => { setCode(value); setChecked({}); }} error={errors.code} />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" color={danger ? 'red' : undefined} loading={action.pending}>
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

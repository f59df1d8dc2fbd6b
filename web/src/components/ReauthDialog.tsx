import { Anchor, Button, Divider, Group, Modal, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useState, type ReactNode } from 'react';
import { ApiError } from '../api';
import { meApi, type Profile, type Proof } from '../api/me';
import { AuthCodeField } from './AuthCodeField';
import { ErrorAlert } from './ErrorAlert';
import { visibilityToggle } from './visibilityToggle';
import { useApiForm } from '../forms';
import { reauthSchema } from '../forms/schemas';

interface ReauthDialogProps<T> {
  opened: boolean;
  title: string;
  /** What happens, said before the password is typed. */
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  /** The ways this user can prove it is them (the profile's `proof`). */
  proof: Profile['proof'];
  onClose: () => void;
  submit: (proof: Proof) => Promise<T>;
  onDone: (result: T) => void;
  /** The change takes a recovery code instead of the app's code (the own 2FA reset: a phone lost). */
  takesRecoveryCode?: boolean;
}

/**
 * Proves it is really the user before a 2FA change: the password and ONE second factor the
 * user may use at login, the app's code (unless the company holds them to keys) or a
 * passkey or security key. A passkey that checks a PIN or fingerprint needs no password.
 */
export function ReauthDialog<T>({ opened, title, children, confirmLabel, danger, proof, onClose, submit, onDone, takesRecoveryCode }: ReauthDialogProps<T>) {
  const [byRecoveryCode, setByRecoveryCode] = useState(false);
  const { form, ref, summary, pending, submit: onSubmitWith, restart } = useApiForm({
    initialValues: { password: '', code: '', recoveryCode: '' },
    schema: reauthSchema({ password: proof.password, recoveryCode: byRecoveryCode }),
    codeToField: {
      'password.current_invalid': 'password',
      'totp.code_refused': 'code',
      'totp.already_used': 'code',
      'recovery.invalid_code': 'recoveryCode',
      'recovery.already_used': 'recoveryCode',
    },
  });
  const [keyPending, setKeyPending] = useState(false);
  const [keyError, setKeyError] = useState<string | null>(null);
  useEffect(() => {
    if (opened) {
      restart();
      setKeyError(null);
      setByRecoveryCode(false);
    }
  }, [opened, restart]);

  const onSubmit = onSubmitWith(
    ({ password, code, recoveryCode }) => {
      const second = byRecoveryCode ? { recoveryCode } : { code };
      return submit(proof.password ? { password, ...second } : second);
    },
    onDone,
    () => {
      // A code works once, and the password is typed again: both start afresh (before the message shows).
      form.setValues({ password: '', code: '', recoveryCode: '' });
      return false;
    },
  );

  const proveWithKey = async () => {
    setKeyError(null);
    setKeyPending(true);
    try {
      const key = await meApi.keyProof();
      const password = form.values.password;
      onDone(await submit(password ? { password, key } : { key }));
    } catch (error) {
      setKeyError(error instanceof ApiError ? error.message : 'Something went wrong. Try again.');
      form.setFieldValue('password', '');
    } finally {
      setKeyPending(false);
    }
  };

  const keyHint = proof.password
    ? 'Enter your password, then use your key. A passkey that checks your fingerprint or PIN needs no password.'
    : 'Use one of your passkeys or security keys.';

  return (
    <Modal opened={opened} onClose={onClose} title={title} centered>
      <form ref={ref} onSubmit={onSubmit} noValidate>
        <Stack gap="md">
          {children}
          <ErrorAlert message={keyError ?? summary} />
          {proof.password && (
            <PasswordInput label="Password" autoComplete="current-password" data-autofocus
              {...form.getInputProps('password')} {...visibilityToggle} />
          )}
          {byRecoveryCode ? (
            <TextInput
              label="Recovery Code"
              name="recoveryCode"
              autoComplete="off"
              spellCheck={false}
              autoCapitalize="none"
              placeholder="abcd-efgh-23"
              {...form.getInputProps('recoveryCode')}
            />
          ) : (
            proof.app && (
              <AuthCodeField value={form.values.code} onChange={(code) => form.setFieldValue('code', code)} error={form.errors.code as string | undefined} />
            )
          )}
          {takesRecoveryCode && (
            <Anchor component="button" type="button" size="sm" onClick={() => setByRecoveryCode((value) => !value)}>
              {byRecoveryCode ? 'Use my authenticator app or key instead' : 'Lost your phone? Use a recovery code'}
            </Anchor>
          )}
          {proof.key && !byRecoveryCode && (
            <>
              {proof.app && <Divider label="or" labelPosition="center" />}
              <Text size="sm" c="dimmed">{keyHint}</Text>
              <Button variant="light" color={danger ? 'red' : undefined} loading={keyPending} disabled={pending} onClick={() => void proveWithKey()}>
                Use a passkey or security key
              </Button>
            </>
          )}
          {!proof.app && !proof.key && !byRecoveryCode && (
            <Text size="sm">
              You have no authenticator app or key to confirm with. Add a passkey or security key first, or ask a Master to reset your 2FA.
            </Text>
          )}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            {(proof.app || byRecoveryCode) && (
              <Button type="submit" color={danger ? 'red' : undefined} loading={pending} disabled={keyPending}>
                {confirmLabel}
              </Button>
            )}
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

import { Button, Group, PasswordInput, Stack, Text } from '@mantine/core';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, ApiError, type FieldErrors, type SignupLink } from '../../api';
import { AuthCard } from '../../components/AuthCard';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LoadingState } from '../../components/LoadingState';
import { PageHeading } from '../../components/PageHeading';
import { visibilityToggle } from '../../components/visibilityToggle';
import { formErrors } from '../../formErrors';
import { formatTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { useFocusFirstInvalid } from '../../hooks/useFocusFirstInvalid';
import { usePageTitle } from '../../hooks/usePageTitle';
import { LinkUnusable } from './LinkUnusable';
import { PasswordChecklist } from './PasswordChecklist';
import { MAX_PASSWORD_LENGTH, meetsRules } from './passwordRules';

type LinkState = { kind: 'loading' } | { kind: 'gone' } | { kind: 'failed'; message: string } | { kind: 'ready'; link: SignupLink };

export const PASSWORD_SET_NOTICE = 'Your password is set. Log in to continue.';

function check(password: string, confirm: string): FieldErrors {
  const errors: FieldErrors = {};
  if (!password) errors.password = 'Enter a password.';
  else if (!meetsRules(password)) errors.password = 'Your password does not meet every rule in the list.';
  else if (password.length > MAX_PASSWORD_LENGTH) errors.password = `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  if (!errors.password && password !== confirm) errors.confirm = 'The passwords do not match.';
  return errors;
}

export function SignupPage() {
  const { token = '' } = useParams();
  const navigate = useNavigate();
  const [state, setState] = useState<LinkState>({ kind: 'loading' });
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [checked, setChecked] = useState<FieldErrors>({});
  const action = useAction();
  const formRef = useRef<HTMLFormElement>(null);
  usePageTitle(state.kind === 'gone' ? 'Link no longer valid' : 'Set Your Password');

  const load = useCallback(async () => {
    setState({ kind: 'loading' });
    try {
      setState({ kind: 'ready', link: await api.signupLink(token) });
    } catch (error) {
      if (error instanceof ApiError && (error.status === 410 || error.status === 404)) setState({ kind: 'gone' });
      else setState({ kind: 'failed', message: error instanceof ApiError ? error.message : 'Something went wrong.' });
    }
  }, [token]);

  useEffect(() => {
    void load();
  }, [load]);

  const { fields, summary } = formErrors(action.error, {
    'password.mismatch': 'confirm',
    'password.too_weak': 'password',
    'password.too_common': 'password',
  });
  const errors = { ...fields, ...checked };
  useFocusFirstInvalid(formRef, action.error ?? (Object.keys(checked).length ? checked : null));

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const problems = check(password, confirm);
    setChecked(problems);
    if (Object.keys(problems).length || state.kind !== 'ready') return;
    const result = await action.run(
      () => api.setPassword(token, password, confirm),
      (error) => {
        if (error.status !== 410) return false;
        setState({ kind: 'gone' });
        return true;
      },
    );
    if (!result) return;
    const { username, companyName } = state.link;
    navigate('/login', { replace: true, state: { notice: PASSWORD_SET_NOTICE, username, companyName } });
  };

  if (state.kind === 'gone') return <LinkUnusable />;

  return (
    <AuthCard>
      {state.kind === 'loading' && <LoadingState label="Checking your Sign Up link…" />}
      {state.kind === 'failed' && (
        <Stack gap="md">
          <PageHeading>Set Your Password</PageHeading>
          <ErrorAlert message={state.message} />
          <Group>
            <Button variant="default" onClick={() => void load()}>
              Try again
            </Button>
          </Group>
        </Stack>
      )}
      {state.kind === 'ready' && (
        <form ref={formRef} onSubmit={onSubmit} noValidate>
          <Stack gap="md">
            <PageHeading>Set Your Password</PageHeading>
            <Text size="sm" c="dimmed">
              Choose a strong password for your Root Master account. You will use it with your username and company
              name to log in.
            </Text>
            <Stack gap={2} p="sm" bg="var(--mantine-color-gray-0)" style={{ borderRadius: 'var(--mantine-radius-md)' }}>
              <Text size="sm">
                Company: <strong>{state.link.companyName}</strong>
              </Text>
              <Text size="sm">
                Username: <strong>{state.link.username}</strong>
              </Text>
            </Stack>
            {/* Lets password managers save the new password against the right username. */}
            <input type="text" name="username" autoComplete="username" value={state.link.username} readOnly hidden />
            <ErrorAlert message={summary} />
            <PasswordInput
              label="Password"
              name="password"
              autoComplete="new-password"
              autoFocus
              required
              value={password}
              onChange={(event) => {
                setPassword(event.currentTarget.value);
                setChecked({});
              }}
              error={errors.password}
              {...visibilityToggle}
            />
            <PasswordChecklist password={password} id="password-rules" />
            <PasswordInput
              label="Confirm Password"
              name="confirm"
              autoComplete="new-password"
              required
              value={confirm}
              onChange={(event) => {
                setConfirm(event.currentTarget.value);
                setChecked({});
              }}
              error={errors.confirm}
              {...visibilityToggle}
            />
            <Button type="submit" size="md" loading={action.pending}>
              Set
            </Button>
            {formatTime(state.link.expiresAt) && (
              <Text size="xs" c="dimmed">
                This link expires {formatTime(state.link.expiresAt)}.
              </Text>
            )}
          </Stack>
        </form>
      )}
    </AuthCard>
  );
}

import { Button, Group, PasswordInput, Stack, Text } from '@mantine/core';
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useNavigate, useParams } from 'react-router';
import { ApiError, type FieldErrors, type PasswordRule } from '../../api';
import { AuthCard } from '../AuthCard';
import { ErrorAlert } from '../ErrorAlert';
import { LoadingState } from '../LoadingState';
import { PageHeading } from '../PageHeading';
import { visibilityToggle } from '../visibilityToggle';
import { formErrors } from '../../formErrors';
import { formatTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { useFocusFirstInvalid } from '../../hooks/useFocusFirstInvalid';
import { usePageTitle } from '../../hooks/usePageTitle';
import { PasswordChecklist } from './PasswordChecklist';
import { checkNewPassword } from './newPasswordCheck';

/** What a Sign Up or reset link tells about itself before the password is chosen. */
export interface NewPasswordLink {
  companyName: string;
  username: string;
  expiresAt: string;
  /** The company's password rule, for the live checklist; the default checklist without it. */
  passwordPolicy?: PasswordRule;
}

export interface NewPasswordPageProps {
  /** The heading and the browser tab's title. */
  title: string;
  /** The line under the heading. */
  intro: ReactNode;
  /** Shown while the link is checked. */
  loadingLabel: string;
  /** Reads the link; 404 or 410 means it can no longer be used. Pass a stable function (not an inline arrow). */
  loadLink: (token: string) => Promise<NewPasswordLink>;
  /** Sets the password; 410 means the link went stale meanwhile. Pass a stable function. */
  submit: (token: string, password: string, confirm: string) => Promise<unknown>;
  /** The message the login page shows after the password is set. */
  notice: string;
  /** The page shown when the link is used, expired or replaced. */
  unusable: ReactNode;
  /** Mark both inputs as required (asterisk and `required` attribute). */
  markRequired?: boolean;
}

type LinkState =
  | { kind: 'loading' }
  | { kind: 'gone' }
  | { kind: 'failed'; message: string }
  | { kind: 'ready'; link: NewPasswordLink };

/**
 * Choosing a new password from a one-time emailed link (Set Your Password, Reset Your
 * Password): checks the link, shows the live checklist, then goes to /login with the
 * username and company filled in.
 */
export function NewPasswordPage({
  title,
  intro,
  loadingLabel,
  loadLink,
  submit,
  notice,
  unusable,
  markRequired = false,
}: NewPasswordPageProps) {
  const { token = '' } = useParams();
  const navigate = useNavigate();
  const [state, setState] = useState<LinkState>({ kind: 'loading' });
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [checked, setChecked] = useState<FieldErrors>({});
  const action = useAction();
  const formRef = useRef<HTMLFormElement>(null);
  usePageTitle(state.kind === 'gone' ? 'Link no longer valid' : title);

  const load = useCallback(async () => {
    setState({ kind: 'loading' });
    try {
      setState({ kind: 'ready', link: await loadLink(token) });
    } catch (error) {
      if (error instanceof ApiError && (error.status === 410 || error.status === 404)) setState({ kind: 'gone' });
      else setState({ kind: 'failed', message: error instanceof ApiError ? error.message : 'Something went wrong.' });
    }
  }, [token, loadLink]);

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
    if (state.kind !== 'ready') return;
    const problems = checkNewPassword(password, confirm, state.link.passwordPolicy);
    setChecked(problems);
    if (Object.keys(problems).length) return;
    const result = await action.run(
      async () => {
        await submit(token, password, confirm);
        return true;
      },
      (error) => {
        if (error.status !== 410) return false;
        setState({ kind: 'gone' });
        return true;
      },
    );
    if (!result) return;
    const { username, companyName } = state.link;
    navigate('/login', { replace: true, state: { notice, username, companyName } });
  };

  if (state.kind === 'gone') return <>{unusable}</>;

  return (
    <AuthCard>
      {state.kind === 'loading' && <LoadingState label={loadingLabel} />}
      {state.kind === 'failed' && (
        <Stack gap="md">
          <PageHeading>{title}</PageHeading>
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
            <PageHeading>{title}</PageHeading>
            <Text size="sm" c="dimmed">
              {intro}
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
              required={markRequired}
              value={password}
              onChange={(event) => {
                setPassword(event.currentTarget.value);
                setChecked({});
              }}
              error={errors.password}
              {...visibilityToggle}
            />
            <PasswordChecklist password={password} id="password-rules" rule={state.link.passwordPolicy} />
            <PasswordInput
              label="Confirm Password"
              name="confirm"
              autoComplete="new-password"
              required={markRequired}
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

import { Button, Group, PasswordInput, Stack, Text } from '@mantine/core';
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { useNavigate, useParams } from 'react-router';
import { ApiError, type PasswordRule } from '../../api';
import { AuthCard } from '../AuthCard';
import { ErrorAlert } from '../ErrorAlert';
import { LoadingState } from '../LoadingState';
import { PageHeading } from '../PageHeading';
import { visibilityToggle } from '../visibilityToggle';
import { useApiForm } from '../../forms';
import { formatTime } from '../../format';
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
        <NewPasswordForm
          title={title}
          intro={intro}
          link={state.link}
          send={(password, confirm) => submit(token, password, confirm)}
          onGone={() => setState({ kind: 'gone' })}
          onDone={() => {
            const { username, companyName } = state.link;
            navigate('/login', { replace: true, state: { notice, username, companyName } });
          }}
          markRequired={markRequired}
        />
      )}
    </AuthCard>
  );
}

interface NewPasswordFormProps {
  title: string;
  intro: ReactNode;
  link: NewPasswordLink;
  send: (password: string, confirm: string) => Promise<unknown>;
  /** The link went stale while the form was open (410). */
  onGone: () => void;
  onDone: () => void;
  markRequired: boolean;
}

function NewPasswordForm({ title, intro, link, send, onGone, onDone, markRequired }: NewPasswordFormProps) {
  const { form, ref, summary, pending, submit } = useApiForm({
    initialValues: { password: '', confirm: '' },
    check: ({ password, confirm }) => checkNewPassword(password, confirm, link.passwordPolicy),
    codeToField: { 'password.mismatch': 'confirm', 'password.too_weak': 'password', 'password.too_common': 'password' },
    // "The passwords do not match." is about both fields.
    linked: { password: ['confirm'], confirm: ['password'] },
  });

  const onSubmit = submit(
    ({ password, confirm }) => send(password, confirm),
    onDone,
    (error) => {
      if (error.status !== 410) return false;
      onGone();
      return true;
    },
  );

  return (
    <form ref={ref} onSubmit={onSubmit} noValidate>
      <Stack gap="md">
        <PageHeading>{title}</PageHeading>
        <Text size="sm" c="dimmed">
          {intro}
        </Text>
        <Stack gap={2} p="sm" bg="var(--mantine-color-gray-0)" style={{ borderRadius: 'var(--mantine-radius-md)' }}>
          <Text size="sm">
            Company: <strong>{link.companyName}</strong>
          </Text>
          <Text size="sm">
            Username: <strong>{link.username}</strong>
          </Text>
        </Stack>
        {/* Lets password managers save the new password against the right username. */}
        <input type="text" name="username" autoComplete="username" value={link.username} readOnly hidden />
        <ErrorAlert message={summary} />
        <PasswordInput
          label="Password"
          name="password"
          autoComplete="new-password"
          autoFocus
          required={markRequired}
          {...form.getInputProps('password')}
          {...visibilityToggle}
        />
        <PasswordChecklist password={form.values.password} id="password-rules" rule={link.passwordPolicy} />
        <PasswordInput
          label="Confirm Password"
          name="confirm"
          autoComplete="new-password"
          required={markRequired}
          {...form.getInputProps('confirm')}
          {...visibilityToggle}
        />
        <Button type="submit" size="md" loading={pending}>
          Set
        </Button>
        {formatTime(link.expiresAt) && (
          <Text size="xs" c="dimmed">
            This link expires {formatTime(link.expiresAt)}.
          </Text>
        )}
      </Stack>
    </form>
  );
}

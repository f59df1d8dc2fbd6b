import { Alert, Button, Stack, Text, TextInput } from '@mantine/core';
import { typedCode } from '@contract';
import { useCallback, useEffect, useRef, useState } from 'react';
import { z } from 'zod';
import { api } from '../../api';
import { sendLoginAnswer } from '../../api/loginAnswer';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { useApiForm } from '../../forms';
import { useAction } from '../../hooks/useAction';
import { usePageTitle } from '../../hooks/usePageTitle';
import { codeRefused, flowExpired } from './flowExpired';
import type { StepProps } from './LoginPage';
import { WhoBox } from './WhoBox';

// Someone else (a Master, an API client) reset this user's 2FA: before a new factor is set
// up, the login proves the mailbox with a 6-digit code mailed to it (src/login/mail-proof.ts).
// The right code moves the login on to enrollment (Your Security Matters).

// Full-width or another script's digits are the digits typed; a pasted "123 456" fits.
const digitsOnly = (text: string) => typedCode(text).replace(/\D/g, '').slice(0, 6);
const schema = z.object({ code: z.string().regex(/^\d{6}$/, 'Enter the 6-digit code from the email.') });
/** A refused code is about the field: its message goes under it, not into an alert. */
const CODE_ERRORS = { 'login.enrollment_code_invalid': 'code' };
/** The server's least time between two codes, for a refusal without Retry-After. */
const RESEND_AFTER_SECONDS = 30;

export function MailCodeStep({ flow, onAdvance, onExpired, onRestart }: StepProps) {
  usePageTitle('Check Your Email');
  const [sentTo, setSentTo] = useState<string | null>(null);
  // "Send a new code" stays off until then (ms), when the server would take it again.
  const [waitUntil, setWaitUntil] = useState<number | null>(null);
  const [resent, setResent] = useState(false);
  const { run, pending: sending, error: sendError } = useAction();
  const { form, ref, summary, pending, submit } = useApiForm({ initialValues: { code: '' }, schema, codeToField: CODE_ERRORS });

  const send = useCallback(
    async (again: boolean) => {
      setResent(false);
      const sent = await run(
        () => api.login.mailCode(),
        (error) => {
          if (flowExpired(onExpired)(error)) return true;
          if (error.code !== 'login.enrollment_code_wait') return false;
          setWaitUntil(Date.now() + (error.retryAfterSeconds ?? RESEND_AFTER_SECONDS) * 1000);
          // On arrival a code is on its way already (a reload, a second mount): just the form.
          return !again;
        },
      );
      if (!sent) return;
      setSentTo(sent.sentTo);
      setWaitUntil(Date.now() + sent.resendAfterSeconds * 1000);
      setResent(again);
    },
    [run, onExpired],
  );

  // Once on arrival: StrictMode mounts twice, and a second mail would only be refused.
  const asked = useRef(false);
  useEffect(() => {
    if (asked.current) return;
    asked.current = true;
    void send(false);
  }, [send]);

  useEffect(() => {
    if (waitUntil === null) return;
    const timer = setTimeout(() => setWaitUntil(null), Math.max(0, waitUntil - Date.now()));
    return () => clearTimeout(timer);
  }, [waitUntil]);

  // A twin of this answer (a retry, another tab) is waited out (api/loginAnswer.ts).
  const onSubmit = submit(
    ({ code }) => sendLoginAnswer(() => api.login.mailCodeVerify(code)),
    (next) => onAdvance(next),
    codeRefused(onExpired, () => form.setFieldValue('code', '')),
  );

  return (
    <form ref={ref} onSubmit={onSubmit} noValidate>
      <Stack gap="md">
        <div>
          <PageHeading>Check Your Email</PageHeading>
          <Text size="sm" c="dimmed" mt={4}>
            Your two-factor authentication was reset. To set it up again, enter the 6-digit code we emailed to {sentTo ?? 'you'}.
          </Text>
        </div>
        <WhoBox username={flow.username} companyName={flow.companyName} onChange={onRestart} />
        <ErrorAlert message={summary ?? sendError?.message} />
        {resent && (
          <Alert color="teal" variant="light" role="status">
            A new code is on its way.
          </Alert>
        )}
        <TextInput
          label="Code"
          description="The 6-digit code in the email"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          spellCheck={false}
          autoFocus
          value={form.values.code}
          onChange={(event) => form.setFieldValue('code', digitsOnly(event.currentTarget.value))}
          error={form.errors.code as string | undefined}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', letterSpacing: '0.3em', fontSize: 20 } }}
        />
        <Button type="submit" size="md" fullWidth loading={pending}>
          Verify
        </Button>
        <Button variant="subtle" size="sm" disabled={waitUntil !== null} loading={sending} onClick={() => void send(true)}>
          Send a new code
        </Button>
      </Stack>
    </form>
  );
}

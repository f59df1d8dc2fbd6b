import { Alert, Anchor, Button, Checkbox, Fieldset, Group, NumberInput, Radio, SimpleGrid, Stack, Switch, Text, Textarea } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import type { FieldErrors, Me, PasswordClass } from '../../api';
import { adminApi, type Policy, type PolicyAnswer } from '../../api/admin';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useChangedMeanwhile } from '../../components/ChangedMeanwhileAlert';
import { LoadingState } from '../../components/LoadingState';
import { useApiForm } from '../../forms';
import { keys, useApiQuery } from '../../data';
import { LoadError } from '../../components/LoadError';
import { isListKey, linesOf, listErrors } from '../../lines';
import { Notice } from '../../components/Notice';
import { NoAccess } from '../../components/NoAccess';
import { useMe } from '../../session';

type NumberField = 'passwordMinLength' | 'lockoutThreshold' | 'lockoutMinutes' | 'sessionAbsoluteMinutes' | 'sessionIdleMinutes';

/** The form keeps what is typed (a number input may hold '' for a moment); one key per field. */
type Form = Record<NumberField, number | string> & {
  passwordClasses: PasswordClass[];
  ipAllowlist: string;
  twoPerson2faReset: boolean;
  phishingResistant: Policy['phishingResistant'];
};

const CLASS_LABELS: Record<PasswordClass, string> = {
  lower: 'A lower-case letter',
  upper: 'An upper-case letter',
  digit: 'A number',
  symbol: 'A symbol',
};

const NUMBER_LABELS: Record<NumberField, string> = {
  passwordMinLength: 'Minimum Password Length',
  lockoutThreshold: 'Failed Attempts Before Lock',
  lockoutMinutes: 'Lock Duration (minutes)',
  sessionAbsoluteMinutes: 'Session Limit (minutes)',
  sessionIdleMinutes: 'Idle Timeout (minutes)',
};

const formOf = (policy: Policy): Form => ({
  passwordMinLength: policy.passwordMinLength,
  lockoutThreshold: policy.lockoutThreshold,
  lockoutMinutes: policy.lockoutMinutes,
  sessionAbsoluteMinutes: policy.sessionAbsoluteMinutes,
  sessionIdleMinutes: policy.sessionIdleMinutes,
  passwordClasses: policy.passwordClasses,
  ipAllowlist: policy.ipAllowlist.join('\n'),
  twoPerson2faReset: policy.twoPerson2faReset,
  phishingResistant: policy.phishingResistant,
});

/** Whole numbers within the server's limits, named under the field before sending. */
function check(form: Form, limits: PolicyAnswer['limits']): FieldErrors {
  const errors: FieldErrors = {};
  for (const key of Object.keys(NUMBER_LABELS) as NumberField[]) {
    const value = form[key];
    const [min, max] = limits[key];
    if (value === '' || typeof value !== 'number' || !Number.isInteger(value)) errors[key] = 'Enter a whole number.';
    else if (value < min || value > max) errors[key] = `Enter a number from ${min} to ${max}.`;
  }
  const idle = form.sessionIdleMinutes;
  const absolute = form.sessionAbsoluteMinutes;
  if (!errors.sessionIdleMinutes && !errors.sessionAbsoluteMinutes && Number(idle) > Number(absolute)) {
    errors.sessionIdleMinutes = 'The idle timeout can be at most the session limit.';
  }
  return errors;
}

const hours = (minutes: number | string) => {
  const value = Number(minutes);
  if (!Number.isFinite(value) || value < 60) return '';
  const h = value / 60;
  return ` (${Number.isInteger(h) ? h : h.toFixed(1)} h)`;
};

/** Whether the setting holds a user of this role to passkeys or security keys (src/companies/policy.ts keyRequired). */
const holdsToKeys = (setting: Policy['phishingResistant'], role: Me['user']['role']) =>
  setting === 'everyone' || (setting === 'masters' && role !== 'user');

/** A passkey or security key signed this session's login (RFC 8176 amr; src/sessions signedWithKey). */
const signedWithKey = (me: Me) => me.session.amr.includes('hwk') || me.session.amr.includes('swk');

/**
 * The server refuses (policy.key_sign_in_required) a change that newly holds the saver to
 * keys from a session no key signed: it would end that session. Said before Save.
 */
const keyFirst = (me: Me, saved: Policy['phishingResistant'], chosen: Policy['phishingResistant']) =>
  !signedWithKey(me) && holdsToKeys(chosen, me.user.role) && !holdsToKeys(saved, me.user.role);

/** The policy form: the saved policy as typed values, checked against the server's limits. */
function usePolicyForm(answer: PolicyAnswer) {
  const api = useApiForm({
    initialValues: formOf(answer.policy),
    check: (values) => check(values, answer.limits),
    // The self-lockout guards name the allowlist, or the key requirement; keep each under its field.
    codeToField: { 'policy.locks_out_self': 'ipAllowlist', 'policy.key_sign_in_required': 'phishingResistant' },
    // "The idle timeout can be at most the session limit." is about both numbers.
    linked: { sessionAbsoluteMinutes: ['sessionIdleMinutes'] },
  });
  const { setValues } = api.form;
  // A saved (or reloaded) policy is what the form shows from then on.
  useEffect(() => setValues(formOf(answer.policy)), [answer, setValues]);
  return { ...api, reset: () => api.restart(formOf(answer.policy)) };
}

function PolicyForm({ answer, onSaved, onShowCurrent }: { answer: PolicyAnswer; onSaved: (saved: PolicyAnswer) => void; onShowCurrent: () => Promise<unknown> }) {
  const { limits, currentIp } = answer;
  const me = useMe();
  const [sentLines, setSentLines] = useState(linesOf(''));
  const { form, ref, summary, pending, submit, reset } = usePolicyForm(answer);
  const changedMeanwhile = useChangedMeanwhile(onShowCurrent);
  const values = form.values;
  const errors = form.errors as FieldErrors;

  const lines = linesOf(values.ipAllowlist);
  const ipMessages = listErrors(errors, 'ipAllowlist', sentLines);
  const classMessages = Object.entries(errors)
    .filter(([key]) => isListKey(key, 'passwordClasses'))
    .map(([, message]) => message);
  const hasCurrentIp = currentIp !== null && lines.some((line) => line.value === currentIp);

  const onSubmit = submit(
    (typed) => {
      setSentLines(lines);
      const change: Policy = {
        passwordMinLength: Number(typed.passwordMinLength),
        passwordClasses: limits.passwordClasses.filter((c) => typed.passwordClasses.includes(c)),
        lockoutThreshold: Number(typed.lockoutThreshold),
        lockoutMinutes: Number(typed.lockoutMinutes),
        sessionAbsoluteMinutes: Number(typed.sessionAbsoluteMinutes),
        sessionIdleMinutes: Number(typed.sessionIdleMinutes),
        ipAllowlist: lines.map((line) => line.value),
        twoPerson2faReset: typed.twoPerson2faReset,
        phishingResistant: typed.phishingResistant,
      };
      // Saved only on the policy this form shows: another Master's save since is not undone.
      return adminApi.savePolicy(change, answer.version);
    },
    onSaved,
    changedMeanwhile.claim,
  );

  const numberInput = (key: NumberField, description: string, suffix = '') => (
    <NumberInput
      label={NUMBER_LABELS[key]}
      description={description + suffix}
      min={limits[key][0]}
      max={limits[key][1]}
      allowDecimal={false}
      allowNegative={false}
      // No silent clamping on blur: an out-of-range number gets a message instead.
      clampBehavior="none"
      {...form.getInputProps(key)}
    />
  );

  return (
    <form ref={ref} onSubmit={onSubmit} noValidate>
      <Stack gap="lg">
        <ErrorAlert message={summary} />
        {changedMeanwhile.alert}
        <Fieldset legend="Passwords">
          <Stack gap="md">
            <Text size="sm" c="dimmed">Applies to every new password: sign-up, password changes and resets.</Text>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              {numberInput('passwordMinLength', `${limits.passwordMinLength[0]} to ${limits.passwordMinLength[1]} characters.`)}
            </SimpleGrid>
            <Checkbox.Group
              label="Each new password needs"
              value={values.passwordClasses}
              onChange={(value) => form.setFieldValue('passwordClasses', value as PasswordClass[])}
              error={classMessages.length ? classMessages.join(' ') : undefined}
            >
              <Group gap="lg" mt={6}>
                {limits.passwordClasses.map((id) => (
                  <Checkbox key={id} value={id} label={CLASS_LABELS[id] ?? id} />
                ))}
              </Group>
            </Checkbox.Group>
          </Stack>
        </Fieldset>

        <Fieldset legend="Lockout">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {numberInput('lockoutThreshold', 'Wrong passwords, codes and recovery codes, counted together.')}
            {numberInput('lockoutMinutes', `${limits.lockoutMinutes[0]} minute to 24 hours. The first lock; each next one before a successful login lasts twice as long, up to a day.`, hours(values.lockoutMinutes))}
          </SimpleGrid>
        </Fieldset>

        <Fieldset legend="Sessions">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {numberInput('sessionAbsoluteMinutes', 'A session ends this long after login, however active.', hours(values.sessionAbsoluteMinutes))}
            {numberInput('sessionIdleMinutes', 'A session ends after this long without use.', hours(values.sessionIdleMinutes))}
          </SimpleGrid>
        </Fieldset>

        <Fieldset legend="IP Allowlist">
          <Stack gap="sm">
            <Textarea
              label="Allowed Networks"
              description={`One range per line, such as 203.0.113.0/24 or 2001:db8::/32, or a single address; at most ${limits.ipAllowlistEntries}. Leave empty to allow logins from anywhere.`}
              autosize
              minRows={3}
              maxRows={12}
              spellCheck={false}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              value={values.ipAllowlist}
              onChange={(event) => form.setFieldValue('ipAllowlist', event.currentTarget.value)}
              error={ipMessages.length ? <>{ipMessages.map((m) => <span key={m} style={{ display: 'block' }}>{m}</span>)}</> : undefined}
            />
            {currentIp && (
              <Text size="sm">
                Your address as Gatehouse sees it: <strong>{currentIp}</strong>.{' '}
                {lines.length > 0 && !hasCurrentIp && (
                  <Anchor
                    component="button"
                    type="button"
                    size="sm"
                    onClick={() => form.setFieldValue('ipAllowlist', `${values.ipAllowlist.trimEnd()}\n${currentIp}`.trimStart())}
                  >
                    Add my address
                  </Anchor>
                )}
              </Text>
            )}
            <Text size="xs" c="dimmed">
              Applies at the next login; sessions already open continue. Gatehouse refuses a list that would not let you
              log in again yourself.
            </Text>
          </Stack>
        </Fieldset>

        <Fieldset legend="Phishing-Resistant Sign-In">
          <Radio.Group
            label="Who must sign in with a passkey or security key"
            description="The code from an authenticator app can be phished in real time; a passkey or security key cannot. Users without one are led to add one at their next login; after that, the app's code no longer signs them in. Recovery codes still work."
            value={values.phishingResistant}
            onChange={(value) => form.setFieldValue('phishingResistant', value as Policy['phishingResistant'])}
            error={errors.phishingResistant}
          >
            <Stack gap="xs" mt={8}>
              <Radio value="off" label="No one: the app's code is enough" />
              <Radio value="masters" label="Masters and the Root Master" />
              <Radio value="everyone" label="Everyone in the company" />
            </Stack>
          </Radio.Group>
          {keyFirst(me, answer.policy.phishingResistant, values.phishingResistant) && !errors.phishingResistant && (
            <Alert color="yellow" variant="light" mt="md" title="Sign in with a passkey or security key first">
              You signed in without one, and this setting would end your session, so it cannot be saved from it. Add a passkey
              or security key in <Anchor component={Link} to="/settings">My Settings</Anchor>, log out and log in with it, then
              save this setting.
            </Alert>
          )}
        </Fieldset>

        <Fieldset legend="2FA Resets">
          <Switch
            label="A second Master must approve each 2FA reset"
            description="A reset requested by a Master waits on the Approvals tab until another Master approves it. Once on, only the Root Master can switch it off."
            {...form.getInputProps('twoPerson2faReset', { type: 'checkbox' })}
          />
        </Fieldset>

        <Group>
          <Button type="submit" loading={pending}>
            Save Policy
          </Button>
          <Button variant="default" onClick={reset}>
            Discard Changes
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function PolicyTab() {
  const { data: answer, error, reload } = useApiQuery(keys.company.policy, adminApi.policy);
  const client = useQueryClient();
  const [notice, setNotice] = useState<string | null>(null);

  if (error?.status === 403) return <NoAccess place="company" />;

  return (
    <Stack gap="md" maw={880}>
      <Notice message={notice} onClose={() => setNotice(null)} />
      {error && <LoadError place="company" error={error} onRetry={() => void reload()} />}
      {!error && !answer && <LoadingState label="Loading the security policy…" />}
      {answer && (
        <>
          {answer.policy.ipAllowlist.length > 0 && (
            <Alert color="blue" variant="light">
              Logins to your company are allowed only from {answer.policy.ipAllowlist.length}{' '}
              {answer.policy.ipAllowlist.length === 1 ? 'network' : 'networks'}.
            </Alert>
          )}
          <PolicyForm
            answer={answer}
            onShowCurrent={reload}
            onSaved={(next) => {
              // The answer is the saved policy: it replaces the cached one, no refetch needed.
              client.setQueryData(keys.company.policy, next);
              setNotice('Security policy saved.');
              window.scrollTo({ top: 0, behavior: 'smooth' });
            }}
          />
        </>
      )}
    </Stack>
  );
}

import { Button, Group, Input, Modal, Radio, SegmentedControl, SimpleGrid, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useId, useState, type ReactNode } from 'react';
import { api, type ClientType, type FieldErrors, type IdTokenAlg, type ModuleInput, type RegisteredModule } from '../../api';
import { useChangedMeanwhile } from '../../components/ChangedMeanwhileAlert';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useApiForm } from '../../forms';
import { isListKey, linesOf, listErrors, type Line } from '../../lines';

interface RegisterModuleDialogProps {
  opened: boolean;
  onClose: () => void;
  onRegistered: (module: RegisteredModule, clientSecret: string | null) => void;
}

const empty = {
  name: '',
  description: '',
  launchUrl: '',
  logoUrl: '',
  redirectUris: '',
  postLogoutRedirectUris: '',
  backchannelLogoutUri: '',
  clientType: 'confidential' as ClientType,
  idTokenAlg: 'RS256' as IdTokenAlg,
};
type Values = typeof empty;

/** A registered module as the form's values (an edit starts from what is saved). */
const valuesOf = (module: RegisteredModule): Values => ({
  name: module.name,
  description: module.description,
  launchUrl: module.launchUrl,
  logoUrl: module.logoUrl ?? '',
  redirectUris: module.redirectUris.join('\n'),
  postLogoutRedirectUris: module.postLogoutRedirectUris.join('\n'),
  backchannelLogoutUri: module.backchannelLogoutUri ?? '',
  clientType: module.clientType,
  idTokenAlg: module.idTokenAlg,
});

const ID_TOKEN_ALGS: IdTokenAlg[] = ['RS256', 'ES256'];

const SINGLE_FIELDS = ['name', 'description', 'launchUrl', 'logoUrl', 'backchannelLogoutUri', 'clientType', 'idTokenAlg'];
const LIST_FIELDS = ['redirectUris', 'postLogoutRedirectUris'];

function check(values: Values): FieldErrors {
  const errors: FieldErrors = {};
  if (!values.name.trim()) errors.name = 'Enter the module name.';
  if (!values.launchUrl.trim()) errors.launchUrl = 'Enter the address the launcher opens.';
  if (linesOf(values.redirectUris).length === 0) errors.redirectUris = 'Add at least one redirect URI.';
  return errors;
}

/** Several messages under one input (one per textarea line at fault). */
function messages(list: string[]): ReactNode {
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return list.map((message) => <div key={message}>{message}</div>);
}

interface ModuleFormProps {
  /** The module edited (its form starts from it, and is saved only on its version); none: a new one. */
  editing?: RegisteredModule | undefined;
  onSaved: (module: RegisteredModule, clientSecret: string | null) => void;
  onCancel: () => void;
  /** Loads the module as saved now into the dialog (an edit refused as made on an older one). */
  onShowCurrent?: (() => Promise<unknown>) | undefined;
}

/** A module's fields, for registering one and for editing one alike. */
export function ModuleForm({ editing, onSaved, onCancel, onShowCurrent }: ModuleFormProps) {
  // The lines as sent: the server's `redirectUris.N` counts only those.
  const [sent, setSent] = useState<Record<string, Line[]>>({});
  const { form, ref, summary: message, pending, submit } = useApiForm({ initialValues: editing ? valuesOf(editing) : empty, check });
  const changedMeanwhile = useChangedMeanwhile(onShowCurrent ?? (() => Promise.resolve()));
  const algId = useId();
  const values = form.values;
  const errors = form.errors as FieldErrors;

  const fieldError = (key: string) => errors[key];
  const listError = (key: string) => messages(listErrors(errors, key, sent[key] ?? []));
  // Keys no input owns still reach the user, in the summary.
  const stray = Object.entries(errors)
    .filter(([key]) => !SINGLE_FIELDS.includes(key) && !LIST_FIELDS.some((list) => isListKey(key, list)))
    .map(([, text]) => text);
  const summary = message ? [message, ...stray].join(' ') : null;
  const set = (key: keyof Values) => (event: { currentTarget: { value: string } }) => form.setFieldValue(key, event.currentTarget.value);

  const onSubmit = submit(
    (typed, idempotencyKey) => {
      const redirectUris = linesOf(typed.redirectUris);
      const postLogoutRedirectUris = linesOf(typed.postLogoutRedirectUris);
      setSent({ redirectUris, postLogoutRedirectUris });
      // Optional fields are left out when empty: the server reads "" as a missing URL.
      const input: ModuleInput = {
        name: typed.name.trim(),
        description: typed.description.trim(),
        launchUrl: typed.launchUrl.trim(),
        ...(typed.logoUrl.trim() ? { logoUrl: typed.logoUrl.trim() } : {}),
        redirectUris: redirectUris.map((line) => line.value),
        postLogoutRedirectUris: postLogoutRedirectUris.map((line) => line.value),
        ...(typed.backchannelLogoutUri.trim() ? { backchannelLogoutUri: typed.backchannelLogoutUri.trim() } : {}),
        clientType: typed.clientType,
        idTokenAlg: typed.idTokenAlg,
      };
      // An edit is saved only on the module this form was opened with: another operator's
      // save since is not undone unseen.
      if (editing) return api.operator.editModule(editing.id, input, editing.version).then(({ module }) => ({ module, clientSecret: null }));
      return api.operator.registerModule(input, idempotencyKey);
    },
    (result) => onSaved(result.module, result.clientSecret),
    changedMeanwhile.claim,
  );

  return (
    <form ref={ref} onSubmit={onSubmit} noValidate>
      <Stack gap="md">
        <ErrorAlert message={summary} />
        {changedMeanwhile.alert}
        <TextInput label="Name" name="name" required data-autofocus
          description="Shown on the launcher tile and the logout page."
          value={values.name} onChange={set('name')} error={fieldError('name')} />
        <Textarea label="Description (optional)" name="description" autosize minRows={2} maxRows={4}
          description="One line under the name on the launcher."
          value={values.description} onChange={set('description')} error={fieldError('description')} />
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          <TextInput label="Launch URL" name="launchUrl" type="url" required
            description="The module's start page, opened by the launcher."
            placeholder="https://app.example.com/"
            value={values.launchUrl} onChange={set('launchUrl')} error={fieldError('launchUrl')} />
          <TextInput label="Logo URL (optional)" name="logoUrl" type="url"
            description="A square image; without one, the tile shows initials."
            value={values.logoUrl} onChange={set('logoUrl')} error={fieldError('logoUrl')} />
        </SimpleGrid>
        <Textarea label="Redirect URIs" name="redirectUris" required autosize minRows={2} maxRows={6}
          description="One per line, matched exactly. https, or plain http on loopback (localhost) only."
          placeholder="https://app.example.com/auth/callback"
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          value={values.redirectUris} onChange={set('redirectUris')} error={listError('redirectUris')} />
        <Textarea label="Post-logout redirect URIs (optional)" name="postLogoutRedirectUris" autosize minRows={1} maxRows={6}
          description="One per line: where the module may send users after logging them out."
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          value={values.postLogoutRedirectUris} onChange={set('postLogoutRedirectUris')}
          error={listError('postLogoutRedirectUris')} />
        <TextInput label="Back-channel logout URI (optional)" name="backchannelLogoutUri" type="url"
          description="Gatehouse posts a signed logout token (sub and sid) here whenever a user's access ends: Log Out, sign out everywhere, a session ended in My Settings or by its company's IP allowlist, deactivation, deletion, a password change or reset, a 2FA reset, the company suspended, or this module revoked or switched off for the company. Failed calls are retried for about five hours."
          value={values.backchannelLogoutUri} onChange={set('backchannelLogoutUri')} error={fieldError('backchannelLogoutUri')} />
        <Radio.Group label="Client type" name="clientType" value={values.clientType}
          onChange={(value) => form.setFieldValue('clientType', value as ClientType)}
          description={editing ? 'A module keeps its client type: register a new module for the other one.' : undefined}
          error={fieldError('clientType')}>
          <Stack gap="sm" mt="xs">
            <Radio value="confidential" label="Confidential" disabled={editing !== undefined}
              description="Runs on a server and can keep a secret. Gets a client secret." />
            <Radio value="public" label="Public" disabled={editing !== undefined}
              description="Runs in the browser or on a device and cannot keep a secret. Signs in with PKCE alone." />
          </Stack>
        </Radio.Group>
        {/* A radiogroup has no <label>: the wrapper's label and hint name and describe it by id. */}
        <Input.Wrapper id={algId} labelElement="div" label="ID token signing algorithm"
          description="ES256 gives smaller tokens, but the module's OpenID Connect library must support it."
          error={fieldError('idTokenAlg')}>
          <SegmentedControl name="idTokenAlg" data={ID_TOKEN_ALGS} value={values.idTokenAlg} mt={4}
            aria-labelledby={`${algId}-label`}
            aria-describedby={[`${algId}-description`, fieldError('idTokenAlg') ? `${algId}-error` : ''].join(' ').trim()}
            onChange={(value) => form.setFieldValue('idTokenAlg', value as IdTokenAlg)} />
        </Input.Wrapper>
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={pending}>
            {editing ? 'Save Changes' : 'Register Module'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Registers a module (an OpenID Connect client); the form starts empty each time. */
export function RegisterModuleDialog({ opened, onClose, onRegistered }: RegisterModuleDialogProps) {
  return (
    <Modal opened={opened} onClose={onClose} title="Register Module" size="lg" centered>
      <Text size="sm" c="dimmed" mb="md">
        A module is an application that signs users in with Gatehouse (OpenID Connect). After registering, grant it to
        companies on the Companies tab.
      </Text>
      {opened && <ModuleForm onSaved={onRegistered} onCancel={onClose} />}
    </Modal>
  );
}

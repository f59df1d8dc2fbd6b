import { Button, Checkbox, Group, Modal, SegmentedControl, Stack, Text, Textarea, TextInput, PasswordInput } from '@mantine/core';
import { useState } from 'react';
import { ApiError, type FieldErrors } from '../../api';
import { ssoApi, type SsoProvider, type SsoProviderInput } from '../../api/sso';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useChangedMeanwhile } from '../../components/ChangedMeanwhileAlert';
import { useSubmissionKey } from '../../forms';

type Kind = 'saml' | 'oidc';

interface Values {
  kind: Kind;
  name: string;
  metadataXml: string;
  entityId: string;
  ssoUrl: string;
  certificates: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  usernameAttribute: string;
  groupsAttribute: string;
  trustProviderMfa: boolean;
}

const valuesOf = (provider: SsoProvider | null): Values => ({
  kind: provider?.kind ?? 'saml',
  name: provider?.name ?? '',
  metadataXml: '',
  entityId: provider?.saml?.entityId ?? '',
  ssoUrl: provider?.saml?.ssoUrl ?? '',
  certificates: '',
  issuer: provider?.oidc?.issuer ?? '',
  clientId: provider?.oidc?.clientId ?? '',
  clientSecret: '',
  usernameAttribute: provider?.usernameAttribute ?? (provider?.kind === 'oidc' ? 'preferred_username' : 'NameID'),
  groupsAttribute: provider?.groupsAttribute ?? '',
  trustProviderMfa: provider?.trustProviderMfa ?? false,
});

/** Certificates pasted one after another: each PEM block is one certificate. */
const certificatesOf = (text: string) => text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? (text.trim() ? [text.trim()] : []);

function inputOf(v: Values): SsoProviderInput {
  const shared = { name: v.name, usernameAttribute: v.usernameAttribute, groupsAttribute: v.groupsAttribute.trim(), trustProviderMfa: v.trustProviderMfa };
  if (v.kind === 'oidc') return { kind: 'oidc', ...shared, issuer: v.issuer, clientId: v.clientId, ...(v.clientSecret ? { clientSecret: v.clientSecret } : {}) };
  return {
    kind: 'saml',
    ...shared,
    ...(v.metadataXml.trim() ? { metadataXml: v.metadataXml } : {}),
    ...(v.entityId && !v.metadataXml.trim() ? { entityId: v.entityId } : {}),
    ...(v.ssoUrl && !v.metadataXml.trim() ? { ssoUrl: v.ssoUrl } : {}),
    ...(v.certificates.trim() ? { certificates: certificatesOf(v.certificates) } : {}),
  };
}

/** Add or edit a provider: paste SAML metadata or enter its values, or an OIDC issuer and client. */
export function SsoProviderDialog({
  provider,
  onClose,
  onSaved,
  onShowCurrent,
}: {
  provider: SsoProvider | null;
  onClose: () => void;
  onSaved: (saved: SsoProvider) => void;
  /** Loads the provider's current settings into a new dialog (an edit refused as made on old ones). */
  onShowCurrent: (id: string) => Promise<unknown>;
}) {
  const [values, setValues] = useState<Values>(() => valuesOf(provider));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const changedMeanwhile = useChangedMeanwhile(() => (provider ? onShowCurrent(provider.id) : Promise.resolve()));
  const submissionKey = useSubmissionKey();
  const set = <K extends keyof Values>(key: K) => (value: Values[K]) => setValues((current) => ({ ...current, [key]: value }));
  const text = (key: keyof Values) => ({
    value: values[key] as string,
    onChange: (event: { currentTarget: { value: string } }) => set(key)(event.currentTarget.value as never),
    error: errors[key],
  });

  async function save(event: React.FormEvent) {
    event.preventDefault();
    setPending(true);
    setSummary(null);
    setErrors({});
    try {
      const input = inputOf(values);
      // An edit is saved only on the settings this dialog was opened with.
      const saved = provider ? await ssoApi.edit(provider.id, input, provider.version) : await ssoApi.add(input, submissionKey.keyFor(input));
      submissionKey.answered();
      onSaved(saved.provider);
    } catch (error) {
      if (error instanceof ApiError) submissionKey.answered(error);
      if (error instanceof ApiError && changedMeanwhile.claim(error)) return;
      setSummary(error instanceof ApiError ? error.message : 'Something went wrong.');
      if (error instanceof ApiError) setErrors(error.fields);
    } finally {
      setPending(false);
    }
  }

  return (
    <Modal opened onClose={onClose} title={provider ? `Edit ${provider.name}` : 'Add Identity Provider'} size="lg">
      <form onSubmit={(event) => void save(event)} noValidate>
        <Stack gap="md">
          <ErrorAlert message={summary} />
          {changedMeanwhile.alert}
          {!provider && (
            <SegmentedControl
              aria-label="Protocol"
              value={values.kind}
              onChange={(kind) => setValues((current) => ({ ...current, kind: kind as Kind, usernameAttribute: kind === 'oidc' ? 'preferred_username' : 'NameID' }))}
              data={[
                { value: 'saml', label: 'SAML 2.0' },
                { value: 'oidc', label: 'OpenID Connect' },
              ]}
            />
          )}
          <TextInput label="Name" description="What users see: “Continue to …”" required {...text('name')} />
          {values.kind === 'saml' ? (
            <>
              <Textarea label="Metadata XML" description="Paste the provider's federation metadata; it fills in the three fields below." autosize minRows={3} maxRows={8} {...text('metadataXml')} />
              <TextInput label="Entity ID" {...text('entityId')} />
              <TextInput label="SSO URL" description="HTTP-Redirect binding" {...text('ssoUrl')} />
              <Textarea
                label="Signing Certificates"
                description={provider ? 'Leave empty to keep the stored ones. Up to two (PEM), for a rollover.' : 'Up to two (PEM), for a rollover.'}
                autosize
                minRows={3}
                maxRows={8}
                {...text('certificates')}
              />
            </>
          ) : (
            <>
              <TextInput label="Issuer URL" required {...text('issuer')} />
              <TextInput label="Client ID" required {...text('clientId')} />
              <PasswordInput label="Client Secret" description={provider ? 'Leave empty to keep the stored one.' : undefined} required={!provider} {...text('clientSecret')} />
            </>
          )}
          <TextInput
            label="Username Attribute"
            description={values.kind === 'saml' ? 'NameID, or the name of an attribute' : 'A claim of the ID token, e.g. preferred_username or email'}
            required
            {...text('usernameAttribute')}
          />
          <TextInput
            label="Groups Attribute (optional)"
            description="The attribute or claim listing the user's groups (e.g. groups). When set, each sign-in makes the user a member of exactly the Gatehouse groups of those names."
            {...text('groupsAttribute')}
          />
          <Checkbox
            label="Trust the provider's MFA"
            description="Skip Gatehouse's own code when the provider proves it used multi-factor authentication."
            checked={values.trustProviderMfa}
            onChange={(event) => set('trustProviderMfa')(event.currentTarget.checked)}
          />
          {provider && <Text size="sm" c="dimmed">Saving asks for a new Test sign-in before the provider can be switched on again.</Text>}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={pending}>
              Save Provider
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

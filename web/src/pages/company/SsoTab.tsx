import { Alert, Badge, Button, Card, Group, MultiSelect, Radio, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { ApiError } from '../../api';
import { adminApi } from '../../api/admin';
import { ssoApi, type SsoMode, type SsoOverview, type SsoProvider } from '../../api/sso';
import { CopyField } from '../../components/CopyField';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useChangedMeanwhile } from '../../components/ChangedMeanwhileAlert';
import { LoadError } from '../../components/LoadError';
import { LoadingState } from '../../components/LoadingState';
import { Notice } from '../../components/Notice';
import { keys, useApiQuery, useInvalidate } from '../../data';
import { SsoProviderDialog } from './SsoProviderDialog';

/** Back from a Test sign-in (?provider=…&ssoTest=…): what the provider said. */
function TestOutcome({ providerId, testId }: { providerId: string; testId: string }) {
  const { data, error } = useApiQuery(keys.company.ssoTest(providerId, testId), () => ssoApi.testResult(providerId, testId));
  if (error) return <ErrorAlert message={error.message} />;
  if (!data) return null;
  if (data.status === 'succeeded' && data.identity) {
    const who = data.identity;
    return (
      <Alert color="teal" variant="light" role="status" title="Test sign-in succeeded">
        The provider signed in {who.displayName} (username {who.username}
        {who.email ? `, ${who.email}` : ''}). {who.mfa ? 'It proved multi-factor authentication.' : 'It did not prove multi-factor authentication.'}
      </Alert>
    );
  }
  return (
    <Alert color="red" variant="light" role="alert" title="Test sign-in failed">
      {data.reason ?? 'The provider did not answer.'}
    </Alert>
  );
}

function ProviderCard({ provider, onEdit, onChanged, onError }: { provider: SsoProvider; onEdit: () => void; onChanged: (message: string) => void; onError: (message: string) => void }) {
  const [pending, setPending] = useState(false);
  async function act(work: () => Promise<unknown>, message: string) {
    setPending(true);
    try {
      await work();
      onChanged(message);
    } catch (error) {
      onError(error instanceof ApiError ? error.message : 'Something went wrong.');
    } finally {
      setPending(false);
    }
  }
  const test = async () => {
    const { redirectTo } = await ssoApi.test(provider.id);
    window.location.assign(redirectTo);
  };
  return (
    <Card withBorder padding="md">
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={3} size="h4" miw={0} style={{ overflowWrap: 'anywhere' }}>
            {provider.name}
          </Title>
          <Group gap="xs">
            <Badge variant="light" color="gray">
              {provider.kind === 'saml' ? 'SAML 2.0' : 'OpenID Connect'}
            </Badge>
            <Badge variant="light" color={provider.enabled ? 'teal' : 'gray'}>
              {provider.enabled ? 'On' : 'Off'}
            </Badge>
            <Badge variant="light" color={provider.testedAt ? 'teal' : 'yellow'}>
              {provider.testedAt ? 'Tested' : 'Not tested'}
            </Badge>
          </Group>
        </Group>
        <Text size="sm" c="dimmed">
          {provider.saml ? `Entity ID ${provider.saml.entityId}; ${provider.saml.certificates.length} signing certificate(s)` : `Issuer ${provider.oidc?.issuer}`}
          {provider.trustProviderMfa ? "; trusts the provider's MFA" : ''}
        </Text>
        <Group gap="xs">
          <Button size="xs" variant="default" loading={pending} onClick={() => void act(test, '')}>
            Test Sign-In
          </Button>
          <Button
            size="xs"
            variant={provider.enabled ? 'default' : 'filled'}
            loading={pending}
            onClick={() => void act(() => ssoApi.setEnabled(provider.id, !provider.enabled), provider.enabled ? `${provider.name} is off.` : `${provider.name} is on.`)}
          >
            {provider.enabled ? 'Switch Off' : 'Switch On'}
          </Button>
          <Button size="xs" variant="default" onClick={onEdit}>
            Edit
          </Button>
          <Button size="xs" variant="default" color="red" loading={pending} onClick={() => void act(() => ssoApi.remove(provider.id), `${provider.name} was removed.`)}>
            Remove
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

function Settings({ overview, onSaved, onShowCurrent }: { overview: SsoOverview; onSaved: (message: string) => void; onShowCurrent: () => Promise<unknown> }) {
  const users = useApiQuery(keys.company.users, adminApi.users);
  const [mode, setMode] = useState<SsoMode>(overview.mode);
  const [breakGlass, setBreakGlass] = useState<string[]>(overview.breakGlassUserIds);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const changedMeanwhile = useChangedMeanwhile(onShowCurrent);
  const options = (users.data?.users ?? []).map((u) => ({ value: u.id, label: `${u.displayName || u.username} (${u.username}, ${u.role.replace('_', ' ')})` }));
  async function save() {
    setPending(true);
    setError(null);
    try {
      // Saved only on the settings this card shows: another Master's save since is not undone.
      await ssoApi.saveSettings({ mode, breakGlassUserIds: breakGlass }, overview.version);
      onSaved('Single sign-on settings saved.');
    } catch (caught) {
      if (caught instanceof ApiError && changedMeanwhile.claim(caught)) return;
      setError(caught instanceof ApiError ? caught.message : 'Something went wrong.');
    } finally {
      setPending(false);
    }
  }
  return (
    <Card withBorder padding="md">
      <Stack gap="sm">
        <Title order={3} size="h4">
          Who May Use a Password
        </Title>
        <ErrorAlert message={error} />
        {changedMeanwhile.alert}
        <Radio.Group value={mode} onChange={(value) => setMode(value as SsoMode)} label="Mode">
          <Stack gap={6} mt={6}>
            <Radio value="sso-plus-password" label="SSO, plus password for users who have one (Use password instead)" />
            <Radio value="sso-only" label="SSO only, except the break-glass users below" />
          </Stack>
        </Radio.Group>
        <MultiSelect
          label="Break-Glass Users"
          description="At least one active Master with a password and 2FA, so a broken provider cannot lock the company out."
          data={options}
          value={breakGlass}
          onChange={setBreakGlass}
          searchable
        />
        <Group>
          <Button onClick={() => void save()} loading={pending}>
            Save Sign-In Settings
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

/** "Single sign-on": the company's identity providers, for its Masters. */
export function SsoTab() {
  const { data, error, reload } = useApiQuery(keys.company.sso, ssoApi.overview);
  const invalidate = useInvalidate();
  const [params] = useSearchParams();
  const [editing, setEditing] = useState<SsoProvider | null | 'new'>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const testId = params.get('ssoTest');
  const testedProvider = params.get('provider');

  const changed = (message: string) => {
    setActionError(null);
    if (message) setNotice(message);
    void invalidate(keys.company.sso);
  };

  // An edit refused because another Master saved the provider since: the dialog shows it as
  // it is now (or closes, if it was removed meanwhile).
  const showCurrentProvider = async (id: string) => {
    const { data: fresh } = await reload();
    setEditing(fresh?.providers.find((p) => p.id === id) ?? null);
  };

  if (error) return <LoadError error={error} onRetry={() => void reload()} place="company" />;
  if (!data) return <LoadingState />;
  return (
    <Stack gap="lg">
      {testId && testedProvider && <TestOutcome providerId={testedProvider} testId={testId} />}
      <Notice message={notice} onClose={() => setNotice(null)} />
      <ErrorAlert message={actionError} />
      <Card withBorder padding="md">
        <Stack gap="sm">
          <Title order={3} size="h4">
            What to Give Your Identity Provider
          </Title>
          <CopyField label="SAML Entity ID and Metadata URL" value={data.serviceProvider.metadataUrl} />
          <CopyField label="SAML ACS URL (Reply URL)" value={data.serviceProvider.acsUrl} />
          <CopyField label="OpenID Connect Redirect URI" value={data.serviceProvider.oidcRedirectUri} />
        </Stack>
      </Card>
      <Group justify="space-between">
        <Title order={2} size="h3">
          Identity Providers
        </Title>
        <Button onClick={() => setEditing('new')}>Add Provider</Button>
      </Group>
      {data.providers.length === 0 && <Text size="sm">No provider yet. Add one, run Test Sign-In, then switch it on.</Text>}
      {data.providers.map((provider) => (
        <ProviderCard key={provider.id} provider={provider} onEdit={() => setEditing(provider)} onChanged={changed} onError={setActionError} />
      ))}
      {/* A new version (saved here or by another Master, then reloaded) starts the card afresh from it. */}
      <Settings key={data.version} overview={data} onSaved={changed} onShowCurrent={reload} />
      {editing && (
        <SsoProviderDialog
          // The provider as last read: loading its current settings starts the dialog afresh.
          key={editing === 'new' ? 'new' : editing.version}
          provider={editing === 'new' ? null : editing}
          onShowCurrent={showCurrentProvider}
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            changed(`${saved.name} was saved. Run Test Sign-In before switching it on.`);
          }}
        />
      )}
    </Stack>
  );
}

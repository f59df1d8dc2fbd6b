import { Badge, Button, Group, Modal, PasswordInput, Stack, Table, Text, TextInput, VisuallyHidden } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { securityKeysApi, type SecurityKey } from '../../api/securityKeys';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LoadingState } from '../../components/LoadingState';
import { Notice } from '../../components/Notice';
import { ScrollTable } from '../../components/ScrollTable';
import { visibilityToggle } from '../../components/visibilityToggle';
import { keys, useApiQuery, useInvalidate } from '../../data';
import { formatTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { supportsPasskeys } from '../../webauthn';
import { SettingsCard } from './SettingsCard';

const KIND = { passkey: 'Passkey', security_key: 'Security key' } as const;

/**
 * What adding or removing a key asks for: the current password, or, for a user of single
 * sign-on (no password), nothing here: a recent sign-in through the provider stands for it.
 */
function KeyChangeProof({ hasPassword, password, onChange, error }: { hasPassword: boolean; password: string; onChange: (value: string) => void; error?: string }) {
  if (!hasPassword) {
    return (
      <Text size="sm" c="dimmed">
        You sign in through your company's identity provider: a sign-in within the last 10 minutes confirms it is you.
      </Text>
    );
  }
  return (
    <PasswordInput
      label="Current password"
      autoComplete="current-password"
      required
      value={password}
      error={error}
      onChange={(e) => onChange(e.currentTarget.value)}
      visibilityToggleButtonProps={visibilityToggle}
    />
  );
}

/** Adding a key: a name, the current password, then the browser's own prompt. */
function AddKeyDialog({ opened, hasPassword, onClose, onAdded }: { opened: boolean; hasPassword: boolean; onClose: () => void; onAdded: (key: SecurityKey) => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  const { setError } = action;
  useEffect(() => {
    if (opened) {
      setName('');
      setPassword('');
      setError(null);
    }
  }, [opened, setError]);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const added = await action.run(() => securityKeysApi.add(hasPassword ? password : undefined, name.trim()));
    setPassword('');
    if (added) onAdded(added);
  };

  return (
    <Modal opened={opened} onClose={onClose} title="Add a passkey or security key" centered>
      <form onSubmit={(event) => void onSubmit(event)} noValidate>
        <Stack gap="md">
          <Text size="sm">
            A passkey or security key signs you in without a code, and cannot be used on a fake Gatehouse page. Your browser
            asks you to touch the key or unlock the device.
          </Text>
          <ErrorAlert message={action.error?.message} />
          <TextInput label="Name" description="So you can tell your keys apart, e.g. Office YubiKey" maxLength={60} value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <KeyChangeProof hasPassword={hasPassword} password={password} onChange={setPassword} error={action.error?.fields.password} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={action.pending} disabled={hasPassword && !password}>
              Add Key
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Removing a key: the current password, as to add one (a user of single sign-on: a recent sign-in). */
function RemoveKeyDialog({ target, hasPassword, onClose, onRemoved }: { target: SecurityKey | null; hasPassword: boolean; onClose: () => void; onRemoved: (key: SecurityKey) => void }) {
  const [password, setPassword] = useState('');
  const action = useAction();
  const { setError } = action;
  useEffect(() => {
    if (target) {
      setPassword('');
      setError(null);
    }
  }, [target, setError]);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!target) return;
    const removed = await action.run(() => securityKeysApi.remove(target.id, hasPassword ? password : undefined));
    setPassword('');
    if (removed) onRemoved(target);
  };

  return (
    <Modal opened={target !== null} onClose={onClose} title="Remove key" centered>
      <form onSubmit={(event) => void onSubmit(event)} noValidate>
        <Stack gap="md">
          <Text size="sm">Remove {target?.name}? It will no longer sign you in to Gatehouse.</Text>
          <ErrorAlert message={action.error?.message} />
          <KeyChangeProof hasPassword={hasPassword} password={password} onChange={setPassword} error={action.error?.fields.password} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} data-autofocus>
              Cancel
            </Button>
            <Button type="submit" color="red" loading={action.pending} disabled={hasPassword && !password}>
              Remove
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function RenameKeyDialog({ target, onClose, onRenamed }: { target: SecurityKey | null; onClose: () => void; onRenamed: () => void }) {
  const [name, setName] = useState('');
  const action = useAction();
  const { setError } = action;
  useEffect(() => {
    if (target) {
      setName(target.name);
      setError(null);
    }
  }, [target, setError]);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (target && (await action.run(() => securityKeysApi.rename(target.id, name.trim())))) onRenamed();
  };
  return (
    <Modal opened={target !== null} onClose={onClose} title="Rename key" centered>
      <form onSubmit={(event) => void onSubmit(event)} noValidate>
        <Stack gap="md">
          <ErrorAlert message={action.error?.message} />
          <TextInput label="Name" required maxLength={60} value={name} error={action.error?.fields.name} onChange={(e) => setName(e.currentTarget.value)} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={action.pending} disabled={!name.trim()}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** My Settings, "Passkeys and security keys": add, rename and remove; each shows when it was added and last used. */
export function SecurityKeysSection({ hasPassword }: { hasPassword: boolean }) {
  const { data, error } = useApiQuery(keys.me.securityKeys, securityKeysApi.list);
  const invalidate = useInvalidate();
  const [adding, setAdding] = useState(false);
  const [renaming, setRenaming] = useState<SecurityKey | null>(null);
  const [removing, setRemoving] = useState<SecurityKey | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const list = data?.keys ?? [];
  // The profile says which proofs the confirm dialog offers: a key added or removed changes them.
  const refresh = () => void invalidate(keys.me.securityKeys, keys.me.profile);

  return (
    <SettingsCard
      title="Passkeys and Security Keys"
      description="Sign in with a passkey on this device or a phone, or a FIDO2 security key, instead of the code from your authenticator app."
    >
      <Notice message={notice} onClose={() => setNotice(null)} />
      <ErrorAlert message={error?.message} />
      {!error && !data && <LoadingState label="Loading your keys…" />}
      {data && list.length === 0 && <Text size="sm">You have no passkeys or security keys yet.</Text>}
      {list.length > 0 && (
        <ScrollTable label="Passkeys and security keys" minWidth={560}>
          <Table verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Added</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((key) => (
                <Table.Tr key={key.id}>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Text size="sm" fw={500} style={{ overflowWrap: 'anywhere' }}>{key.name}</Text>
                      {key.switchedOffAt && (
                        <Badge color="red" variant="light" size="sm" tt="none">
                          Switched off
                        </Badge>
                      )}
                    </Group>
                    <Text size="xs" c="dimmed">{KIND[key.kind]}</Text>
                    {key.switchedOffAt && (
                      <Text size="xs" c="red">
                        A copy of this key was seen on {formatTime(key.switchedOffAt)}: it is switched off and no longer signs you in. Remove it, then add the key again.
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td><Text size="sm">{formatTime(key.createdAt)}</Text></Table.Td>
                  <Table.Td><Text size="sm">{key.lastUsedAt ? formatTime(key.lastUsedAt) : 'Never'}</Text></Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button size="compact-sm" variant="default" aria-label={`Rename ${key.name}`} onClick={() => setRenaming(key)}>
                        Rename
                      </Button>
                      <Button size="compact-sm" color="red" variant="light" aria-label={`Remove ${key.name}`} onClick={() => setRemoving(key)}>
                        Remove
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
      <Group>
        <Button variant="default" onClick={() => setAdding(true)} disabled={!supportsPasskeys()}>
          Add a Passkey or Security Key
        </Button>
      </Group>
      <AddKeyDialog
        opened={adding}
        hasPassword={hasPassword}
        onClose={() => setAdding(false)}
        onAdded={(key) => {
          setAdding(false);
          setNotice(`${key.name} is added. You can use it at your next login.`);
          refresh();
        }}
      />
      <RenameKeyDialog
        target={renaming}
        onClose={() => setRenaming(null)}
        onRenamed={() => {
          setRenaming(null);
          refresh();
        }}
      />
      <RemoveKeyDialog
        target={removing}
        hasPassword={hasPassword}
        onClose={() => setRemoving(null)}
        onRemoved={(key) => {
          setNotice(`${key.name} is removed.`);
          setRemoving(null);
          refresh();
        }}
      />
    </SettingsCard>
  );
}

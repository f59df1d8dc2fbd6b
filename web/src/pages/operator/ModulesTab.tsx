import { Badge, Button, Code, Group, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import { api, type RegisteredModule } from '../../api';
import { LoadingState } from '../../components/LoadingState';
import { ModuleAvatar } from '../../components/ModuleAvatar';
import { formatTime } from '../../format';
import { keys, useApiQuery, useInvalidate } from '../../data';
import { LoadError } from '../../components/LoadError';
import { Notice } from '../../components/Notice';
import { EditModuleDialog } from './EditModuleDialog';
import { RegisterModuleDialog } from './RegisterModuleDialog';
import { RotateSecretDialog } from './RotateSecretDialog';
import { SecretDialog, type ModuleCredentials } from './SecretDialog';
import { ScrollTable } from '../../components/ScrollTable';

// A badge's label may shrink to an ellipsis; in a crowded table row it would read "Confide…".
const NO_SHRINK = { label: { overflow: 'visible' } };

function UriList({ uris }: { uris: string[] }) {
  if (uris.length === 0) return <Text size="sm" c="dimmed">None</Text>;
  return (
    <Stack gap={2}>
      {uris.map((uri) => (
        <Text key={uri} size="xs" ff="monospace" style={{ wordBreak: 'break-all' }}>
          {uri}
        </Text>
      ))}
    </Stack>
  );
}

/** Registered modules (OpenID Connect clients): register, read and edit their settings, rotate secrets. */
export function ModulesTab() {
  const { data, error, loading, reload } = useApiQuery(keys.operator.modules, api.operator.modules);
  const invalidate = useInvalidate();
  const [registering, setRegistering] = useState(false);
  const [rotating, setRotating] = useState<RegisteredModule | null>(null);
  const [editing, setEditing] = useState<RegisteredModule | null>(null);
  const [credentials, setCredentials] = useState<ModuleCredentials | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const modules = data?.modules ?? [];

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <Text size="sm" c="dimmed">Applications that sign users in with Gatehouse. Grant them to companies on the Companies tab.</Text>
        <Group gap="xs">
          <Button variant="default" onClick={() => void reload()} loading={loading && data !== null}>
            Refresh
          </Button>
          <Button onClick={() => setRegistering(true)}>Register Module</Button>
        </Group>
      </Group>
      <Notice message={notice} onClose={() => setNotice(null)} />
      {error && <LoadError place="operator" error={error} onRetry={() => void reload()} />}
      {!error && data === null && <LoadingState label="Loading modules…" />}
      {!error && data !== null && modules.length === 0 && (
        <Text c="dimmed" ta="center" py="xl">
          No modules yet. Register one to let users log in to it with Gatehouse.
        </Text>
      )}
      {!error && modules.length > 0 && (
        <ScrollTable label="Modules" minWidth={960}>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Module</Table.Th>
                <Table.Th>Client ID</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th style={{ whiteSpace: 'nowrap' }}>ID Token Signing</Table.Th>
                <Table.Th>Redirect URIs</Table.Th>
                <Table.Th>Registered</Table.Th>
                <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {modules.map((module) => (
                <Table.Tr key={module.id}>
                  <Table.Td>
                    <Group gap="sm" wrap="nowrap">
                      <ModuleAvatar name={module.name} logoUrl={module.logoUrl} />
                      <div style={{ minWidth: 0 }}>
                        <Text fw={600} size="sm" style={{ overflowWrap: 'anywhere' }}>{module.name}</Text>
                        {module.description && <Text size="xs" c="dimmed" lineClamp={2} style={{ overflowWrap: 'anywhere' }}>{module.description}</Text>}
                        <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>{module.launchUrl}</Text>
                      </div>
                    </Group>
                  </Table.Td>
                  <Table.Td><Code style={{ whiteSpace: 'nowrap' }}>{module.clientId}</Code></Table.Td>
                  <Table.Td>
                    {module.clientType === 'confidential' ? (
                      <Badge color="indigo" variant="light" tt="none" styles={NO_SHRINK}>Confidential</Badge>
                    ) : (
                      <Badge color="gray" variant="light" tt="none" styles={NO_SHRINK}>Public</Badge>
                    )}
                  </Table.Td>
                  <Table.Td><Text size="sm" ff="monospace">{module.idTokenAlg}</Text></Table.Td>
                  <Table.Td><UriList uris={module.redirectUris} /></Table.Td>
                  <Table.Td><Text size="sm">{formatTime(module.createdAt)}</Text></Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap" justify="flex-end">
                      <Button size="compact-sm" variant="default" onClick={() => setEditing(module)} aria-label={`Edit ${module.name}`}>
                        Edit
                      </Button>
                      {module.clientType === 'confidential' && (
                        <Button size="compact-sm" variant="default" onClick={() => setRotating(module)} aria-label={`Rotate Secret for ${module.name}`}>
                          Rotate Secret
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}

      <RegisterModuleDialog
        opened={registering}
        onClose={() => setRegistering(false)}
        onRegistered={(module, clientSecret) => {
          setRegistering(false);
          setCredentials({ kind: 'registered', moduleName: module.name, clientId: module.clientId, clientSecret, confidential: module.clientType === 'confidential' });
          setNotice(`Registered ${module.name}. Grant it to companies on the Companies tab.`);
          void invalidate(keys.operator.modules);
        }}
      />
      <EditModuleDialog
        module={editing}
        onClose={() => setEditing(null)}
        onSaved={(module) => {
          setEditing(null);
          setNotice(`Saved ${module.name}. The next sign-in uses the new settings.`);
          void invalidate(keys.operator.modules);
        }}
        onShowCurrent={async (moduleId) => {
          const { module } = await api.operator.module(moduleId);
          setEditing(module);
          void invalidate(keys.operator.modules);
        }}
      />
      <RotateSecretDialog
        module={rotating}
        onClose={() => setRotating(null)}
        onRotated={(module, clientSecret) => {
          setRotating(null);
          setCredentials({ kind: 'rotated', moduleName: module.name, clientId: module.clientId, clientSecret });
          setNotice(`${module.name} has a new client secret; the previous one no longer works.`);
        }}
      />
      <SecretDialog credentials={credentials} onClose={() => setCredentials(null)} />
    </Stack>
  );
}

import { Badge, Button, Code, Group, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import { api, newIdempotencyKey } from '../../api';
import { apiClientsApi, type ApiClient, type ApiClientAudience, type ApiClientInput } from '../../api/apiClients';
import { meApi } from '../../api/me';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { LoadError } from '../../components/LoadError';
import { LoadingState } from '../../components/LoadingState';
import { Notice } from '../../components/Notice';
import { ScrollTable } from '../../components/ScrollTable';
import { keys, useApiQuery, useInvalidate } from '../../data';
import { formatTime } from '../../format';
import { ReauthDialog } from '../../components/ReauthDialog';
import { ApiClientSecretDialog, type ShownSecret } from './ApiClientSecretDialog';
import { NewApiClientDialog } from './NewApiClientDialog';

// A badge's label may shrink to an ellipsis; in a crowded table row it would read "Expi…".
const NO_SHRINK = { label: { overflow: 'visible' } };

const isExpired = (client: ApiClient, now: number) => client.expiresAt !== null && Date.parse(client.expiresAt) <= now;

function ClientRow({ client, companyName, onRotate, onDelete }: {
  client: ApiClient;
  /** Operators see whose client it is; undefined for a Master's own company. */
  companyName?: string;
  onRotate: () => void;
  onDelete: () => void;
}) {
  const expired = isExpired(client, Date.now());
  return (
    <Table.Tr>
      <Table.Td><Text fw={600} size="sm" style={{ overflowWrap: 'anywhere' }}>{client.name}</Text></Table.Td>
      {companyName !== undefined && <Table.Td><Text size="sm" style={{ overflowWrap: 'anywhere' }}>{companyName}</Text></Table.Td>}
      <Table.Td><Code style={{ whiteSpace: 'nowrap' }}>{client.clientId}</Code></Table.Td>
      <Table.Td>
        <Stack gap={2}>
          {client.scopes.map((scope) => <Text key={scope} size="xs" ff="monospace">{scope}</Text>)}
        </Stack>
      </Table.Td>
      <Table.Td><Text size="sm">{formatTime(client.createdAt)}</Text></Table.Td>
      <Table.Td><Text size="sm">{client.lastUsedAt ? formatTime(client.lastUsedAt) : 'Never'}</Text></Table.Td>
      <Table.Td><Text size="sm">{client.expiresAt ? formatTime(client.expiresAt) : 'Never'}</Text></Table.Td>
      <Table.Td>
        {expired ? (
          <Badge color="gray" variant="light" tt="none" styles={NO_SHRINK}>Expired</Badge>
        ) : client.holderLeft ? (
          // Its secret went with a Master who has left (or is no longer a Master): rotating hands it to this Master.
          <Badge color="orange" variant="light" tt="none" styles={NO_SHRINK} title="Whoever holds its secret is no longer a Master. Rotate the secret to use it again.">
            Stopped: rotate secret
          </Badge>
        ) : (
          <Badge color="teal" variant="light" tt="none" styles={NO_SHRINK}>Active</Badge>
        )}
      </Table.Td>
      <Table.Td>
        <Group gap="xs" wrap="nowrap">
          <Button size="compact-sm" variant="default" onClick={onRotate} aria-label={`Rotate Secret for ${client.name}`}>
            Rotate Secret
          </Button>
          <Button size="compact-sm" variant="default" color="red" onClick={onDelete} aria-label={`Delete ${client.name}`}>
            Delete
          </Button>
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

/**
 * API clients, for a company's Masters (their company's) or operators (the platform's and
 * every company's): list, create, rotate a secret, delete. Secrets are shown once.
 */
export function ApiClientsTab({ audience }: { audience: ApiClientAudience }) {
  const calls = apiClientsApi(audience);
  const listKey = audience === 'company' ? keys.company.apiClients : keys.operator.apiClients;
  const operator = audience === 'operator';
  const { data, error, loading, reload } = useApiQuery(listKey, calls.list);
  const companies = useApiQuery(keys.operator.companies, api.operator.companies, { enabled: operator });
  // How this user proves it is them (password, app, key), as in My Settings: a secret acts
  // with a Master's rights, so handing one out needs more than the session.
  const profile = useApiQuery(keys.me.profile, meApi.profile);
  const proof = profile.data?.proof ?? { password: true, app: true, key: false };
  const invalidate = useInvalidate();
  const [creating, setCreating] = useState(false);
  // Filled in, waiting for the proof that hands out its secret; its Idempotency-Key is the
  // same for every proof given for it, so a retry after a lost answer makes no second client.
  const [filled, setFilled] = useState<{ input: ApiClientInput; key: string } | null>(null);
  const [rotating, setRotating] = useState<ApiClient | null>(null);
  const [deleting, setDeleting] = useState<ApiClient | null>(null);
  const [shown, setShown] = useState<ShownSecret | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const clients = data?.clients ?? [];
  const companyList = companies.data?.companies ?? [];
  const companyName = (companyId: string | null) =>
    companyId === null ? 'Platform' : (companyList.find((c) => c.id === companyId)?.name ?? 'A company');
  const changed = () => void invalidate(listKey);

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <Text size="sm" c="dimmed">
          {operator
            ? 'Tools that call the API: platform clients reach every company, a company’s client only that company.'
            : 'Tools (a PSA, an RMM, a script) that call the API for your company.'}
        </Text>
        <Group gap="xs">
          <Button variant="default" onClick={() => void reload()} loading={loading && data !== null}>
            Refresh
          </Button>
          <Button onClick={() => setCreating(true)}>New API Client</Button>
        </Group>
      </Group>
      <Notice message={notice} onClose={() => setNotice(null)} />
      {error && <LoadError place={audience} error={error} onRetry={() => void reload()} />}
      {!error && data === null && <LoadingState label="Loading API clients…" />}
      {!error && data !== null && clients.length === 0 && (
        <Text c="dimmed" ta="center" py="xl">
          No API clients yet. Create one to let a tool call Gatehouse's API.
        </Text>
      )}
      {!error && clients.length > 0 && (
        <ScrollTable label="API clients" minWidth={1040}>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                {operator && <Table.Th>For</Table.Th>}
                <Table.Th>Client ID</Table.Th>
                <Table.Th>Scopes</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Last Used</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {clients.map((client) => (
                <ClientRow key={client.id} client={client}
                  companyName={operator ? companyName(client.companyId) : undefined}
                  onRotate={() => setRotating(client)} onDelete={() => setDeleting(client)} />
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}

      <NewApiClientDialog
        audience={audience}
        opened={creating}
        companies={companyList}
        onClose={() => setCreating(false)}
        onFilled={(input) => {
          setCreating(false);
          setFilled({ input, key: newIdempotencyKey() });
        }}
      />
      <ReauthDialog
        opened={filled !== null}
        title="Create API client"
        confirmLabel="Create API Client"
        proof={proof}
        onClose={() => setFilled(null)}
        submit={(given) => calls.create(filled?.input ?? { name: '', scopes: [] }, given, filled?.key ?? newIdempotencyKey())}
        onDone={(created) => {
          setFilled(null);
          setShown({ kind: 'created', ...created });
          setNotice(`Created ${created.client.name}.`);
          changed();
        }}
      >
        <Text size="sm">
          Create <strong>{filled?.input.name}</strong>? Its secret acts with the scopes you chose until the client is deleted. Confirm
          it is you first.
        </Text>
      </ReauthDialog>
      <ReauthDialog
        opened={rotating !== null}
        title="Rotate client secret"
        confirmLabel="Rotate Secret"
        danger
        proof={proof}
        onClose={() => setRotating(null)}
        submit={(given) => calls.rotate(rotating?.clientId ?? '', given)}
        onDone={(rotated) => {
          setRotating(null);
          setShown({ ...rotated, kind: 'rotated' });
          setNotice(`${rotated.client.name} has a new client secret; the previous one no longer works.`);
          changed();
        }}
      >
        <Text size="sm">
          Issue a new client secret for <strong>{rotating?.name}</strong>? The current secret and every token got with it
          stop working at once. Confirm it is you first.
        </Text>
      </ReauthDialog>
      <ConfirmDialog
        opened={deleting !== null}
        title="Delete API client"
        confirmLabel="Delete"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={() => calls.remove(deleting?.clientId ?? '')}
        onDone={() => {
          setNotice(`Deleted ${deleting?.name ?? 'the API client'}.`);
          setDeleting(null);
          changed();
        }}
      >
        <Text size="sm">
          Delete <strong>{deleting?.name}</strong>? Its secret and tokens stop working at once. This cannot be undone.
        </Text>
      </ConfirmDialog>
      <ApiClientSecretDialog shown={shown} onClose={() => setShown(null)} />
    </Stack>
  );
}

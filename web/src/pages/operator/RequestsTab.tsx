import { Button, Group, SegmentedControl, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { api, type AccountRequest, type RequestFilter } from '../../api';
import { LoadingState } from '../../components/LoadingState';
import { StatusBadge } from '../../components/StatusBadge';
import { formatAge, formatTime } from '../../format';
import { keys, useApiPages, useInvalidate } from '../../data';
import { ApproveDialog } from './ApproveDialog';
import { ListMore, ListSearch } from '../../components/ListMore';
import { LoadError } from '../../components/LoadError';
import { NewRequestDialog } from './NewRequestDialog';
import { Notice } from '../../components/Notice';
import { RejectDialog } from './RejectDialog';
import { UrgencyBadge } from './UrgencyBadge';
import { ScrollTable } from '../../components/ScrollTable';

const filters: { value: RequestFilter; label: string }[] = [
  { value: 'pending', label: 'Pending' },
  { value: 'approved', label: 'Approved' },
  { value: 'rejected', label: 'Rejected' },
  { value: 'all', label: 'All' },
];

type Dialog = { kind: 'approve' | 'reject'; request: AccountRequest } | { kind: 'new' } | null;

function RequestRow({ request, onOpen }: { request: AccountRequest; onOpen: (dialog: Dialog) => void }) {
  const pending = request.status === 'pending';
  return (
    <Table.Tr>
      <Table.Td>
        <Text fw={600} size="sm" style={{ overflowWrap: 'anywhere' }}>{request.companyName}</Text>
        {request.nameWarning && <Text size="xs" c="orange.8" fw={600}>Check the name: {request.nameWarning}</Text>}
        {request.note && <Text size="xs" c="dimmed" lineClamp={2}>{request.note}</Text>}
        {request.source === 'operator' && <Text size="xs" c="dimmed">Entered by an operator</Text>}
      </Table.Td>
      <Table.Td>
        <Text size="sm" style={{ overflowWrap: 'anywhere' }}>{request.contactName}</Text>
        <Text size="xs" c="dimmed">{request.phone}</Text>
      </Table.Td>
      <Table.Td><Text size="sm" style={{ wordBreak: 'break-all' }}>{request.email}</Text></Table.Td>
      <Table.Td>
        <Text size="sm" title={formatTime(request.createdAt)}>{formatAge(request.ageHours)}</Text>
      </Table.Td>
      <Table.Td>
        <Group gap={6} wrap="nowrap">
          <StatusBadge status={request.status} />
          {pending && <UrgencyBadge urgency={request.urgency} />}
        </Group>
        {request.status === 'rejected' && request.rejectReason && (
          <Text size="xs" c="dimmed" mt={4} lineClamp={2}>{request.rejectReason}</Text>
        )}
      </Table.Td>
      <Table.Td>
        {pending && (
          <Group gap="xs" wrap="nowrap">
            {/* Named per company: every row has these buttons. */}
            <Button size="compact-sm" onClick={() => onOpen({ kind: 'approve', request })} aria-label={`Approve ${request.companyName}`}>
              Approve
            </Button>
            <Button size="compact-sm" variant="default" onClick={() => onOpen({ kind: 'reject', request })} aria-label={`Reject ${request.companyName}`}>
              Reject
            </Button>
          </Group>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

export function RequestsTab() {
  const [filter, setFilter] = useState<RequestFilter>('pending');
  const [search, setSearch] = useState('');
  // Asked of the server once typing pauses, not at every key.
  const [wanted] = useDebouncedValue(search.trim(), 300);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const list = useApiPages(
    keys.operator.requests(filter, wanted),
    (cursor) => api.operator.requests(filter, wanted, cursor),
    (page) => page.requests,
  );
  const { items, error, loading, reload } = list;
  const invalidate = useInvalidate();

  const finished = (message: string) => {
    setDialog(null);
    setNotice(message);
    // Every filter's list, and an approval adds a company (and its welcome email).
    void invalidate(keys.operator.all);
  };

  const requests = items ?? [];

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <Group gap="sm" wrap="wrap">
          <SegmentedControl
            aria-label="Show requests"
            value={filter}
            onChange={(value) => setFilter(value as RequestFilter)}
            data={filters}
          />
          <ListSearch label="Search requests" placeholder="Search by company or email" value={search} onChange={setSearch} />
        </Group>
        <Group gap="xs">
          <Button variant="default" onClick={() => void reload()} loading={loading && items !== null}>
            Refresh
          </Button>
          <Button onClick={() => setDialog({ kind: 'new' })}>New Request</Button>
        </Group>
      </Group>
      <Notice message={notice} onClose={() => setNotice(null)} />
      {error && <LoadError place="operator" error={error} onRetry={() => void reload()} />}
      {!error && items === null && <LoadingState label="Loading requests…" />}
      {!error && items !== null && requests.length === 0 && (
        <Text c="dimmed" ta="center" py="xl">
          {wanted ? `No requests match “${wanted}”.` : filter === 'pending' ? 'No pending requests. Everything is answered.' : 'No requests to show.'}
        </Text>
      )}
      {!error && requests.length > 0 && (
        <ScrollTable label="Account requests" minWidth={760}>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Company</Table.Th>
                <Table.Th>Contact</Table.Th>
                <Table.Th>Email</Table.Th>
                <Table.Th>Age</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {requests.map((request) => (
                <RequestRow key={request.id} request={request} onOpen={setDialog} />
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
      {!error && requests.length > 0 && (
        <ListMore
          shown={requests.length}
          total={list.total}
          hasMore={list.hasMore}
          loading={list.loadingMore}
          error={list.moreError}
          onMore={() => void list.loadMore()}
        />
      )}

      <ApproveDialog
        request={dialog?.kind === 'approve' ? dialog.request : null}
        onClose={() => setDialog(null)}
        onApproved={(result, request) =>
          finished(`Approved ${request.companyName}. The welcome email to ${request.email} is on its way; Root Master username: ${result.username}.`)
        }
      />
      <RejectDialog
        request={dialog?.kind === 'reject' ? dialog.request : null}
        onClose={() => setDialog(null)}
        onRejected={(request) => finished(`Rejected the request from ${request.companyName}.`)}
      />
      <NewRequestDialog
        opened={dialog?.kind === 'new'}
        onClose={() => setDialog(null)}
        onCreated={(companyName) => {
          setFilter('pending');
          finished(`Request for ${companyName} added.`);
        }}
      />
    </Stack>
  );
}

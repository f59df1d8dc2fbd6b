import { Badge, Button, Group, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { api, type CompanySummary } from '../../api';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LoadingState } from '../../components/LoadingState';
import { StatusBadge } from '../../components/StatusBadge';
import { formatTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { keys, useApiPages, useInvalidate } from '../../data';
import { CompanyModulesDialog } from './CompanyModulesDialog';
import { ListMore, ListSearch } from '../../components/ListMore';
import { LoadError } from '../../components/LoadError';
import { Notice } from '../../components/Notice';
import { ScrollTable } from '../../components/ScrollTable';

export function CompaniesTab() {
  const [search, setSearch] = useState('');
  // Asked of the server once typing pauses, not at every key.
  const [wanted] = useDebouncedValue(search.trim(), 300);
  const list = useApiPages(
    keys.operator.companyPages(wanted),
    (cursor) => api.operator.companyPage(wanted, cursor),
    (page) => page.companies,
  );
  const { items, error, loading, reload } = list;
  const invalidate = useInvalidate();
  const resend = useAction();
  const [sending, setSending] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [modulesOf, setModulesOf] = useState<CompanySummary | null>(null);
  const [statusOf, setStatusOf] = useState<CompanySummary | null>(null);
  const suspending = statusOf?.status === 'active';

  const onResend = async (company: CompanySummary) => {
    setSending(company.id);
    setNotice(null);
    const result = await resend.run(() => api.operator.resendWelcome(company.id));
    setSending(null);
    if (!result) return;
    setNotice(`A new welcome email for ${company.name} was sent to ${company.rootMaster?.email ?? 'the Root Master'}. Earlier Sign Up links no longer work.`);
    void invalidate(keys.operator.companies);
  };

  const companies = items ?? [];

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <ListSearch label="Search companies" placeholder="Search by company name" value={search} onChange={setSearch} />
        <Button variant="default" onClick={() => void reload()} loading={loading && items !== null}>
          Refresh
        </Button>
      </Group>
      <Notice message={notice} onClose={() => setNotice(null)} />
      <ErrorAlert message={resend.error?.message} />
      {error && <LoadError place="operator" error={error} onRetry={() => void reload()} />}
      {!error && items === null && <LoadingState label="Loading companies…" />}
      {!error && items !== null && companies.length === 0 && (
        <Text c="dimmed" ta="center" py="xl">
          {wanted ? `No company name contains “${wanted}”.` : 'No companies yet. Approving a request creates one.'}
        </Text>
      )}
      {!error && companies.length > 0 && (
        <ScrollTable label="Companies" minWidth={720}>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Company</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Root Master</Table.Th>
                <Table.Th>Signed up</Table.Th>
                <Table.Th>Invitations (24 h / 7 days)</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {companies.map((company) => (
                <Table.Tr key={company.id}>
                  <Table.Td><Text fw={600} size="sm" style={{ overflowWrap: 'anywhere' }}>{company.name}</Text></Table.Td>
                  <Table.Td><StatusBadge status={company.status} /></Table.Td>
                  <Table.Td>
                    {company.rootMaster ? (
                      <>
                        <Text size="sm" style={{ overflowWrap: 'anywhere' }}>{company.rootMaster.username}</Text>
                        <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>{company.rootMaster.email}</Text>
                      </>
                    ) : (
                      <Text size="sm" c="dimmed">None</Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {company.rootMaster?.signedUp ? (
                      <Badge color="teal" variant="light" tt="none">Yes</Badge>
                    ) : (
                      <Badge color="gray" variant="light" tt="none">Not yet</Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" aria-label={`${company.invitations.last24h} invitation emails in the last 24 hours, ${company.invitations.last7d} in the last 7 days`}>
                      {company.invitations.last24h} / {company.invitations.last7d}
                    </Text>
                  </Table.Td>
                  <Table.Td><Text size="sm">{formatTime(company.createdAt)}</Text></Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap" justify="flex-end">
                      {company.rootMaster && !company.rootMaster.signedUp && company.status !== 'suspended' && (
                        <Button
                          size="compact-sm"
                          variant="default"
                          loading={sending === company.id}
                          disabled={sending !== null && sending !== company.id}
                          onClick={() => void onResend(company)}
                          aria-label={`Resend Welcome Email to ${company.name}`}
                        >
                          Resend Welcome Email
                        </Button>
                      )}
                      <Button size="compact-sm" variant="default" onClick={() => setModulesOf(company)} aria-label={`Modules for ${company.name}`}>
                        Modules
                      </Button>
                      <Button
                        size="compact-sm"
                        variant="default"
                        color={company.status === 'active' ? 'red' : undefined}
                        onClick={() => setStatusOf(company)}
                        aria-label={`${company.status === 'active' ? 'Suspend' : 'Reactivate'} ${company.name}`}
                      >
                        {company.status === 'active' ? 'Suspend' : 'Reactivate'}
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
      {!error && companies.length > 0 && (
        <ListMore
          shown={companies.length}
          total={list.total}
          hasMore={list.hasMore}
          loading={list.loadingMore}
          error={list.moreError}
          onMore={() => void list.loadMore()}
        />
      )}
      <CompanyModulesDialog company={modulesOf} onClose={() => setModulesOf(null)} />
      <ConfirmDialog
        opened={statusOf !== null}
        title={suspending ? `Suspend ${statusOf?.name ?? ''}?` : `Reactivate ${statusOf?.name ?? ''}?`}
        confirmLabel={suspending ? 'Suspend' : 'Reactivate'}
        danger={suspending}
        onClose={() => setStatusOf(null)}
        onConfirm={() =>
          statusOf ? (suspending ? api.operator.suspendCompany(statusOf.id) : api.operator.reactivateCompany(statusOf.id)) : Promise.resolve(undefined)
        }
        onDone={() => {
          setNotice(suspending ? `${statusOf?.name ?? 'The company'} is suspended: its users were signed out and cannot log in.` : `${statusOf?.name ?? 'The company'} is active again.`);
          setStatusOf(null);
          // Suspension shows in the companies list and the compliance view.
          void invalidate(keys.operator.all);
        }}
      >
        <Text size="sm">
          {suspending
            ? 'Every user of this company is signed out of Gatehouse and its modules at once, and nobody can log in until you reactivate it.'
            : 'Its users can log in again.'}
        </Text>
      </ConfirmDialog>
    </Stack>
  );
}

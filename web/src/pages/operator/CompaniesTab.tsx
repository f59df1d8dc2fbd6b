import { Badge, Button, Group, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useCallback, useState } from 'react';
import { api, type CompanySummary } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LoadingState } from '../../components/LoadingState';
import { StatusBadge } from '../../components/StatusBadge';
import { formatTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { useLoad } from '../../hooks/useLoad';
import { CompanyModulesDialog } from './CompanyModulesDialog';
import { LoadError } from './LoadError';
import { Notice } from './Notice';

export function CompaniesTab() {
  const load = useCallback(() => api.operator.companies(), []);
  const { data, error, loading, reload } = useLoad(load);
  const resend = useAction();
  const [sending, setSending] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [modulesOf, setModulesOf] = useState<CompanySummary | null>(null);

  const onResend = async (company: CompanySummary) => {
    setSending(company.id);
    setNotice(null);
    const result = await resend.run(() => api.operator.resendWelcome(company.id));
    setSending(null);
    if (!result) return;
    setNotice(`A new welcome email for ${company.name} was sent to ${company.rootMaster?.email ?? 'the Root Master'}. Earlier Sign Up links no longer work.`);
    void reload();
  };

  const companies = data?.companies ?? [];

  return (
    <Stack gap="md">
      <Group justify="flex-end">
        <Button variant="default" onClick={() => void reload()} loading={loading && data !== null}>
          Refresh
        </Button>
      </Group>
      <Notice message={notice} onClose={() => setNotice(null)} />
      <ErrorAlert message={resend.error?.message} />
      {error && <LoadError error={error} onRetry={() => void reload()} />}
      {!error && data === null && <LoadingState label="Loading companies…" />}
      {!error && data !== null && companies.length === 0 && (
        <Text c="dimmed" ta="center" py="xl">
          No companies yet. Approving a request creates one.
        </Text>
      )}
      {!error && companies.length > 0 && (
        <Table.ScrollContainer minWidth={720}>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Company</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Root Master</Table.Th>
                <Table.Th>Signed up</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {companies.map((company) => (
                <Table.Tr key={company.id}>
                  <Table.Td><Text fw={600} size="sm">{company.name}</Text></Table.Td>
                  <Table.Td><StatusBadge status={company.status} /></Table.Td>
                  <Table.Td>
                    {company.rootMaster ? (
                      <>
                        <Text size="sm">{company.rootMaster.username}</Text>
                        <Text size="xs" c="dimmed">{company.rootMaster.email}</Text>
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
                  <Table.Td><Text size="sm">{formatTime(company.createdAt)}</Text></Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap" justify="flex-end">
                      {company.rootMaster && !company.rootMaster.signedUp && (
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
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <CompanyModulesDialog company={modulesOf} onClose={() => setModulesOf(null)} />
    </Stack>
  );
}

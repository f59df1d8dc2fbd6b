import { Button, Group, NativeSelect, Progress, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import { api } from '../../api';
import { auditApi, type CompanyCompliance, type CompanyComplianceSummary } from '../../api/audit';
import { ExportCsvButton } from '../../components/ExportCsvButton';
import { LoadingState } from '../../components/LoadingState';
import { StatusBadge } from '../../components/StatusBadge';
import { keys, useApiQuery } from '../../data';
import { ComplianceTotals } from '../audit/ComplianceTotals';
import { ComplianceUsers } from '../audit/ComplianceUsers';
import { LoadError } from '../../components/LoadError';
import { ScrollTable } from '../../components/ScrollTable';

type View = { kind: 'summary'; companies: CompanyComplianceSummary[] } | { kind: 'company'; compliance: CompanyCompliance };

function SummaryTable({ companies, onOpen }: { companies: CompanyComplianceSummary[]; onOpen: (companyId: string) => void }) {
  if (companies.length === 0) return <Text c="dimmed" ta="center" py="xl">No companies yet.</Text>;
  return (
    <ScrollTable label="Two-factor authentication by company" minWidth={760}>
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Company</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Users</Table.Th>
            <Table.Th>Enrolled</Table.Th>
            <Table.Th>Pending</Table.Th>
            <Table.Th>Deactivated</Table.Th>
            <Table.Th w={180}>2FA enrolled</Table.Th>
            <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {companies.map((c) => (
            <Table.Tr key={c.companyId}>
              <Table.Td>
                <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>{c.companyName}</Text>
                {c.isPlatform && <Text size="xs" c="dimmed">Operators' own company</Text>}
              </Table.Td>
              <Table.Td><StatusBadge status={c.status} /></Table.Td>
              <Table.Td><Text size="sm">{c.totals.users}</Text></Table.Td>
              <Table.Td><Text size="sm">{c.totals.enrolled}</Text></Table.Td>
              <Table.Td><Text size="sm">{c.totals.pending}</Text></Table.Td>
              <Table.Td><Text size="sm">{c.totals.disabled}</Text></Table.Td>
              <Table.Td>
                <Group gap="xs" wrap="nowrap">
                  <Progress value={c.totals.percentEnrolled} w={90} aria-hidden="true" color={c.totals.percentEnrolled === 100 ? 'teal' : 'gatehouse'} />
                  <Text size="sm">{c.totals.percentEnrolled}%</Text>
                </Group>
              </Table.Td>
              <Table.Td>
                <Button size="compact-sm" variant="default" onClick={() => onOpen(c.companyId)} aria-label={`Users of ${c.companyName}`}>
                  Users
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  );
}

/** MFA compliance of every company, or of one with its users. */
export function ComplianceTab() {
  const [companyId, setCompanyId] = useState('');
  const { data: companyList } = useApiQuery(keys.operator.companies, api.operator.companies);
  const { data, error, loading, reload } = useApiQuery(
    keys.operator.compliance(companyId),
    async (): Promise<View> =>
      companyId
        ? { kind: 'company', compliance: await auditApi.operatorCompliance(companyId) }
        : { kind: 'summary', companies: (await auditApi.operatorComplianceSummary()).companies },
  );
  // The summary also names the platform company, which the companies list leaves out.
  const options = new Map<string, string>();
  for (const c of companyList?.companies ?? []) options.set(c.id, c.name);
  if (data?.kind === 'summary') for (const c of data.companies) options.set(c.companyId, c.companyName);
  if (data?.kind === 'company') options.set(data.compliance.company.id, data.compliance.company.name);

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <NativeSelect
          label="Company"
          size="sm"
          w={260}
          value={companyId}
          onChange={(event) => setCompanyId(event.currentTarget.value)}
          data={[{ value: '', label: 'All companies' }, ...[...options].map(([value, label]) => ({ value, label }))]}
        />
        <Group gap="xs">
          <Button variant="default" size="sm" onClick={() => void reload()} loading={loading && data !== null}>
            Refresh
          </Button>
          <ExportCsvButton href={auditApi.complianceCsvUrl('operator', companyId || undefined)} />
        </Group>
      </Group>
      {error && <LoadError place="operator" error={error} onRetry={() => void reload()} />}
      {!error && (!data || loading) && <LoadingState label="Loading compliance…" />}
      {!error && !loading && data?.kind === 'summary' && <SummaryTable companies={data.companies} onOpen={setCompanyId} />}
      {!error && !loading && data?.kind === 'company' && (
        <>
          <ComplianceTotals totals={data.compliance.totals} />
          <ComplianceUsers users={data.compliance.users} />
        </>
      )}
    </Stack>
  );
}

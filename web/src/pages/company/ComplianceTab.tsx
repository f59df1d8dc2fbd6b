import { Button, Group, Stack, Text } from '@mantine/core';
import { auditApi } from '../../api/audit';
import { ExportCsvButton } from '../../components/ExportCsvButton';
import { LoadingState } from '../../components/LoadingState';
import { keys, useApiQuery } from '../../data';
import { ComplianceTotals } from '../audit/ComplianceTotals';
import { ComplianceUsers } from '../audit/ComplianceUsers';
import { LoadError } from '../../components/LoadError';
import { NoAccess } from '../../components/NoAccess';

/** The company's MFA compliance: who has 2FA, who is still pending and for how long. */
export function ComplianceTab() {
  const { data, error, loading, reload } = useApiQuery(keys.company.compliance, auditApi.companyCompliance);

  if (error?.status === 403) return <NoAccess place="company" />;

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Deactivated users cannot log in, so they count as neither enrolled nor pending.
        </Text>
        <Group gap="xs">
          <Button variant="default" size="sm" onClick={() => void reload()} loading={loading && data !== null}>
            Refresh
          </Button>
          <ExportCsvButton href={auditApi.complianceCsvUrl('company')} />
        </Group>
      </Group>
      {error && <LoadError place="company" error={error} onRetry={() => void reload()} />}
      {!error && !data && <LoadingState label="Loading compliance…" />}
      {data && (
        <>
          <ComplianceTotals totals={data.totals} />
          <ComplianceUsers users={data.users} />
        </>
      )}
    </Stack>
  );
}

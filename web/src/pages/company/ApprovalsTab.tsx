import { Button, Group, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import type { Me } from '../../api';
import { adminApi, type Approval } from '../../api/admin';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { LoadingState } from '../../components/LoadingState';
import { formatTime } from '../../format';
import { keys, useApiQuery, useInvalidate } from '../../data';
import { LoadError } from '../../components/LoadError';
import { Notice } from '../../components/Notice';
import { NoAccess } from '../../components/NoAccess';
import { ScrollTable } from '../../components/ScrollTable';

type Decision = { kind: 'approve' | 'reject'; approval: Approval } | null;

/** The requester as people know them: a Master by username, or an API client by its name. */
function requesterOf(approval: Approval): string {
  const { apiClient, username } = approval.requestedBy;
  if (apiClient) return `API client ${apiClient.name}`;
  return username ?? 'A deleted user';
}

/** Who may do what with a pending reset (docs/API.md): a second Master approves; the requester may withdraw. */
function ApprovalActions({ approval, me, onDecide }: { approval: Approval; me: Me; onDecide: (decision: Decision) => void }) {
  const mine = approval.requestedBy.id === me.user.id;
  if (approval.target.id === me.user.id) return <Text size="xs" c="dimmed">About you: another Master decides</Text>;
  // The Master holding the secret of the API client that asked.
  if (!approval.canApprove && !mine) return <Text size="xs" c="dimmed">Asked through your API client: another Master decides</Text>;
  return (
    <Group gap="xs" wrap="nowrap" justify="flex-end">
      {approval.canApprove && (
        <Button size="compact-sm" onClick={() => onDecide({ kind: 'approve', approval })} aria-label={`Approve 2FA reset for ${approval.target.username}`}>
          Approve
        </Button>
      )}
      {(approval.canApprove || mine) && (
        <Button size="compact-sm" variant="default" onClick={() => onDecide({ kind: 'reject', approval })}
          aria-label={`${mine ? 'Withdraw' : 'Reject'} 2FA reset for ${approval.target.username}`}>
          {mine ? 'Withdraw' : 'Reject'}
        </Button>
      )}
      {mine && <Text size="xs" c="dimmed">Another Master approves</Text>}
    </Group>
  );
}

export function ApprovalsTab({ me }: { me: Me }) {
  const { data, error, loading, reload } = useApiQuery(keys.company.approvals, adminApi.approvals);
  const invalidate = useInvalidate();
  const [decision, setDecision] = useState<Decision>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const approvals = data?.approvals ?? [];
  const target = decision?.approval.target.username ?? '';
  const withdrawing = decision?.kind === 'reject' && decision.approval.requestedBy.id === me.user.id;

  if (error?.status === 403) return <NoAccess place="company" />;

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <Text size="sm" c="dimmed" maw={640}>
          With the two-person rule on (Security Policy), a Master's 2FA reset waits here until a second Master approves
          it. Neither the Master who asked nor the user concerned can approve; when an API client asked, the Master
          who holds its secret cannot approve either.
        </Text>
        <Button variant="default" onClick={() => void reload()} loading={loading && data !== null}>
          Refresh
        </Button>
      </Group>
      <Notice message={notice} onClose={() => setNotice(null)} />
      {error && <LoadError place="company" error={error} onRetry={() => void reload()} />}
      {!error && data === null && <LoadingState label="Loading approvals…" />}
      {!error && data !== null && approvals.length === 0 && (
        <Text c="dimmed" ta="center" py="xl">
          No 2FA resets are waiting for approval.
        </Text>
      )}
      {!error && approvals.length > 0 && (
        <ScrollTable label="2FA resets waiting for approval" minWidth={640}>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Request</Table.Th>
                <Table.Th>User</Table.Th>
                <Table.Th>Requested by</Table.Th>
                <Table.Th>Requested</Table.Th>
                <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {approvals.map((approval) => (
                <Table.Tr key={approval.id}>
                  <Table.Td><Text size="sm">Reset 2FA</Text></Table.Td>
                  <Table.Td><Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>{approval.target.username}</Text></Table.Td>
                  <Table.Td><Text size="sm" style={{ overflowWrap: 'anywhere' }}>{requesterOf(approval)}</Text></Table.Td>
                  <Table.Td><Text size="sm">{formatTime(approval.createdAt)}</Text></Table.Td>
                  <Table.Td><ApprovalActions approval={approval} me={me} onDecide={setDecision} /></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
      <ConfirmDialog
        opened={decision !== null}
        title={decision?.kind === 'approve' ? 'Approve 2FA reset' : withdrawing ? 'Withdraw 2FA reset' : 'Reject 2FA reset'}
        confirmLabel={decision?.kind === 'approve' ? 'Approve' : withdrawing ? 'Withdraw' : 'Reject'}
        danger={decision?.kind === 'approve'}
        onClose={() => setDecision(null)}
        onConfirm={() =>
          decision ? (decision.kind === 'approve' ? adminApi.approve(decision.approval.id) : adminApi.reject(decision.approval.id)) : Promise.resolve(undefined)
        }
        onDone={() => {
          setNotice(
            decision?.kind === 'approve'
              ? `2FA is reset for ${target}. They are signed out and set it up again at their next login.`
              : `The 2FA reset for ${target} was ${withdrawing ? 'withdrawn' : 'rejected'}; nothing changed.`,
          );
          setDecision(null);
          // An approved reset changes the user's status in the users list and compliance.
          void invalidate(keys.company.all);
        }}
      >
        <Text size="sm">
          {decision?.kind === 'approve' ? (
            <>
              Reset two-factor authentication for <strong>{target}</strong>, as {decision.approval.requestedBy.apiClient ? `API client ${decision.approval.requestedBy.apiClient.name}` : (decision.approval.requestedBy.username ?? 'a Master')}{' '}
              asked? Their authenticator app and recovery codes stop working, and they are signed out everywhere.
            </>
          ) : (
            <>
              {withdrawing ? 'Withdraw your' : 'Reject the'} request to reset 2FA for <strong>{target}</strong>? Nothing
              changes for them.
            </>
          )}
        </Text>
      </ConfirmDialog>
    </Stack>
  );
}

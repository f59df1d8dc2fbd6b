import { Alert, Badge, Button, Code, FileInput, Group, Modal, Stack, Table, Text, Textarea } from '@mantine/core';
import { useEffect, useState } from 'react';
import { adminApi, type BulkInviteReport } from '../../api/admin';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useApiForm } from '../../forms';
import { ScrollTable } from '../../components/ScrollTable';

// The server's limit (docs/API.md); a bigger file is refused here before it is read.
const MAX_BYTES = 256 * 1024;
const EXAMPLE = 'email,username,role,display name\nmia@example.com,mia,user,Mia Lee\nomar@example.com,omar,master,Omar Diaz';

interface BulkInviteDialogProps {
  opened: boolean;
  onClose: () => void;
  /** Called once a file was processed, whatever each row's outcome: the list changed. */
  onProcessed: (report: BulkInviteReport) => void;
}

function readFile(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result ?? ''));
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'));
    reader.readAsText(file, 'utf-8');
  });
}

function Report({ report }: { report: BulkInviteReport }) {
  return (
    <Stack gap="sm">
      <Alert color={report.refused ? 'yellow' : 'teal'} variant="light" role="status">
        <Text size="sm" fw={600}>
          {report.invited} invited, {report.refused} refused.
        </Text>
        <Text size="sm" mt={4}>
          Each invited user gets an email with a Sign Up link. Refused rows changed nothing: fix them and send just those
          rows again.
        </Text>
      </Alert>
      <ScrollTable label="Invitations" minWidth={560} mah={360}>
        <Table verticalSpacing="xs" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Row</Table.Th>
              <Table.Th>Username</Table.Th>
              <Table.Th>Email</Table.Th>
              <Table.Th>Result</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {report.rows.map((row) => (
              <Table.Tr key={row.row}>
                <Table.Td>{row.row}</Table.Td>
                <Table.Td><Text size="sm" style={{ overflowWrap: 'anywhere' }}>{row.username}</Text></Table.Td>
                <Table.Td><Text size="sm" style={{ overflowWrap: 'anywhere' }}>{row.email}</Text></Table.Td>
                <Table.Td>
                  {row.status === 'invited' ? (
                    <Badge color="teal" variant="light" tt="none">Invited</Badge>
                  ) : (
                    <>
                      <Badge color="red" variant="light" tt="none">Refused</Badge>
                      {row.reason && <Text size="xs" mt={2}>{row.reason}</Text>}
                    </>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollTable>
    </Stack>
  );
}

/** Invites from a CSV file (or pasted text); each row is invited fully or not at all. */
export function BulkInviteDialog({ opened, onClose, onProcessed }: BulkInviteDialogProps) {
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [report, setReport] = useState<BulkInviteReport | null>(null);
  const { form, ref, summary, pending, submit, restart } = useApiForm({
    initialValues: { csv: '' },
    // Sent as typed: only an empty box is refused here, the server checks each row.
    check: ({ csv }): Record<string, string> => (csv.trim() ? {} : { csv: 'Choose a CSV file or paste its text.' }),
  });

  useEffect(() => {
    if (!opened) return;
    restart();
    setFile(null);
    setFileError(null);
    setReport(null);
  }, [opened, restart]);

  const onFile = async (chosen: File | null) => {
    setFile(chosen);
    setFileError(null);
    if (!chosen) return;
    if (chosen.size > MAX_BYTES) return setFileError('The file is larger than 256 KiB. Split it into smaller files.');
    try {
      // Shown in the box below, so what is sent can be read and corrected first.
      form.setFieldValue('csv', await readFile(chosen));
    } catch {
      setFileError('The file could not be read. Choose it again, or paste its text below.');
    }
  };

  const onSubmit = submit(
    ({ csv }, idempotencyKey) => adminApi.bulkInvite(csv, idempotencyKey),
    (result) => {
      setReport(result);
      onProcessed(result);
    },
  );

  return (
    <Modal opened={opened} onClose={onClose} title="Bulk Invite" size="xl" centered closeOnClickOutside={!report}>
      {report ? (
        <Stack gap="md">
          <Report report={report} />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={() => setReport(null)}>
              Invite More
            </Button>
            <Button onClick={onClose} data-autofocus>
              Done
            </Button>
          </Group>
        </Stack>
      ) : (
        <form ref={ref} onSubmit={onSubmit} noValidate>
          <Stack gap="md">
            <Text size="sm">
              The first row names the columns: <Code>email</Code>, <Code>username</Code>, <Code>role</Code> (
              <Code>master</Code> or <Code>user</Code>) and, optionally, <Code>display name</Code>. At most 500 rows. Each
              row is invited on its own; rows with a problem are refused and reported.
            </Text>
            <ErrorAlert message={summary} />
            <FileInput
              label="CSV File"
              placeholder="Choose a .csv file"
              accept=".csv,text/csv"
              clearable
              value={file}
              onChange={(chosen) => void onFile(chosen)}
              error={fileError}
            />
            <Textarea
              label="CSV"
              description="The chosen file's text, or paste your own."
              placeholder={EXAMPLE}
              autosize
              minRows={6}
              maxRows={14}
              spellCheck={false}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13 } }}
              {...form.getInputProps('csv')}
            />
            <Group justify="flex-end" gap="sm">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={pending}>
                Invite Users
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

import { Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { api, type AccountRequest } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formErrors } from '../../forms/errors';
import { useAction } from '../../hooks/useAction';

interface RejectDialogProps {
  request: AccountRequest | null;
  onClose: () => void;
  onRejected: (request: AccountRequest) => void;
}

export function RejectDialog({ request, onClose, onRejected }: RejectDialogProps) {
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const action = useAction();
  const { fields, summary } = formErrors(action.error);
  const { setError } = action;

  useEffect(() => {
    if (request) {
      setReason('');
      setMissing(false);
      setError(null);
    }
  }, [request, setError]);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!request) return;
    setMissing(!reason.trim());
    if (!reason.trim()) return;
    const result = await action.run(() => api.operator.reject(request.id, reason.trim()));
    if (result) onRejected(request);
  };

  return (
    <Modal opened={request !== null} onClose={onClose} title="Reject request" centered>
      {request && (
        <form onSubmit={onSubmit} noValidate>
          <Stack gap="md">
            <Text size="sm">
              Reject the request for <strong>{request.companyName}</strong> from {request.contactName}. The reason is kept
              with the request.
            </Text>
            <ErrorAlert message={summary} />
            <Textarea
              label="Reason"
              required
              autosize
              minRows={3}
              data-autofocus
              value={reason}
              onChange={(event) => setReason(event.currentTarget.value)}
              error={missing ? 'Enter a reason.' : fields.reason}
            />
            <Group justify="flex-end" gap="sm">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" color="red" loading={action.pending}>
                Reject
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

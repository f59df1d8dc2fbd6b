import { Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useEffect } from 'react';
import { api, type AccountRequest } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useApiForm } from '../../forms';
import { rejectSchema } from '../../forms/schemas';

interface RejectDialogProps {
  request: AccountRequest | null;
  onClose: () => void;
  onRejected: (request: AccountRequest) => void;
}

export function RejectDialog({ request, onClose, onRejected }: RejectDialogProps) {
  const { form, ref, summary, pending, submit, restart } = useApiForm({ initialValues: { reason: '' }, schema: rejectSchema });

  useEffect(() => {
    if (request) restart();
  }, [request, restart]);

  const onSubmit = submit(
    ({ reason }) => (request ? api.operator.reject(request.id, reason) : Promise.reject(new Error('no request'))),
    () => request && onRejected(request),
  );

  return (
    <Modal opened={request !== null} onClose={onClose} title="Reject request" centered>
      {request && (
        <form ref={ref} onSubmit={onSubmit} noValidate>
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
              {...form.getInputProps('reason')}
            />
            <Group justify="flex-end" gap="sm">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" color="red" loading={pending}>
                Reject
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useEffect } from 'react';
import { api, type AccountRequest } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useApiForm } from '../../forms';
import { approveSchema } from '../../forms/schemas';

interface ApproveDialogProps {
  request: AccountRequest | null;
  onClose: () => void;
  onApproved: (result: { companyId: string; username: string }, request: AccountRequest) => void;
}

/** The server defaults the username to the same thing; prefilling shows it and allows a change. */
const localPart = (email: string) => email.split('@')[0] ?? '';

export function ApproveDialog({ request, onClose, onApproved }: ApproveDialogProps) {
  const { form, ref, summary, pending, submit, restart } = useApiForm({ initialValues: { username: '' }, schema: approveSchema });

  useEffect(() => {
    if (request) restart({ username: localPart(request.email) });
  }, [request, restart]);

  const onSubmit = submit(
    ({ username }) => (request ? api.operator.approve(request.id, username) : Promise.reject(new Error('no request'))),
    (result) => request && onApproved(result, request),
  );

  return (
    <Modal opened={request !== null} onClose={onClose} title="Approve request" centered>
      {request && (
        <form ref={ref} onSubmit={onSubmit} noValidate>
          <Stack gap="md">
            <Text size="sm">
              Approving creates the company <strong>{request.companyName}</strong> and its Root Master user, and sends the
              welcome email with the Sign Up link to <strong>{request.email}</strong>.
            </Text>
            {request.nameWarning && (
              <Alert color="orange" title="This name may imitate another company">
                {request.nameWarning} Approve only if the requester really writes its name this way.
              </Alert>
            )}
            <ErrorAlert message={summary} />
            <TextInput
              label="Root Master username"
              description="Unique within this company. The user logs in with it and the company name."
              data-autofocus
              {...form.getInputProps('username')}
            />
            <Group justify="flex-end" gap="sm">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={pending}>
                Approve
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

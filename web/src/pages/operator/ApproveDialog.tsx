import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { api, type AccountRequest } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formErrors } from '../../forms/errors';
import { useAction } from '../../hooks/useAction';

interface ApproveDialogProps {
  request: AccountRequest | null;
  onClose: () => void;
  onApproved: (result: { companyId: string; username: string }, request: AccountRequest) => void;
}

/** The server defaults the username to the same thing; prefilling shows it and allows a change. */
const localPart = (email: string) => email.split('@')[0] ?? '';

export function ApproveDialog({ request, onClose, onApproved }: ApproveDialogProps) {
  const [username, setUsername] = useState('');
  const action = useAction();
  const { fields, summary } = formErrors(action.error);
  const { setError } = action;

  useEffect(() => {
    if (request) {
      setUsername(localPart(request.email));
      setError(null);
    }
  }, [request, setError]);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!request) return;
    const result = await action.run(() => api.operator.approve(request.id, username.trim()));
    if (result) onApproved(result, request);
  };

  return (
    <Modal opened={request !== null} onClose={onClose} title="Approve request" centered>
      {request && (
        <form onSubmit={onSubmit} noValidate>
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
              value={username}
              onChange={(event) => setUsername(event.currentTarget.value)}
              error={fields.username}
            />
            <Group justify="flex-end" gap="sm">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={action.pending}>
                Approve
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

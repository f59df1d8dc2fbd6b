import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { adminApi, type CompanyUser, type InvitableRole } from '../../api/admin';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formErrors } from '../../forms/errors';
import { useAction } from '../../hooks/useAction';
import { RoleChoice } from './RoleChoice';

interface ChangeRoleDialogProps {
  user: CompanyUser | null;
  onClose: () => void;
  onChanged: (user: CompanyUser, role: InvitableRole) => void;
}

export function ChangeRoleDialog({ user, onClose, onChanged }: ChangeRoleDialogProps) {
  const [role, setRole] = useState<InvitableRole>('user');
  const action = useAction();
  const { fields, summary } = formErrors(action.error);
  const { setError } = action;

  useEffect(() => {
    if (!user) return;
    setRole(user.role === 'master' ? 'master' : 'user');
    setError(null);
  }, [user, setError]);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!user) return;
    const result = await action.run(() => adminApi.changeRole(user.id, role));
    if (result) onChanged(user, role);
  };

  return (
    <Modal opened={user !== null} onClose={onClose} title="Change role" centered>
      {user && (
        <form onSubmit={onSubmit} noValidate>
          <Stack gap="md">
            <Text size="sm">
              Choose the role of <strong>{user.username}</strong>. The change applies from their next request; they stay
              signed in.
            </Text>
            <ErrorAlert message={summary} />
            <RoleChoice value={role} onChange={setRole} error={fields.role} />
            <Group justify="flex-end" gap="sm">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={action.pending} disabled={role === user.role}>
                Change Role
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}


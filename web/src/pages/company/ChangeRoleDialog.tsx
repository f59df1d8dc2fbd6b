import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useEffect } from 'react';
import { adminApi, type CompanyUser, type InvitableRole } from '../../api/admin';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useApiForm } from '../../forms';
import { RoleChoice } from './RoleChoice';

interface ChangeRoleDialogProps {
  user: CompanyUser | null;
  onClose: () => void;
  onChanged: (user: CompanyUser, role: InvitableRole) => void;
}

export function ChangeRoleDialog({ user, onClose, onChanged }: ChangeRoleDialogProps) {
  const { form, ref, summary, pending, submit, restart } = useApiForm({ initialValues: { role: 'user' as InvitableRole } });
  const role = form.values.role;

  useEffect(() => {
    if (user) restart({ role: user.role === 'master' ? 'master' : 'user' });
  }, [user, restart]);

  const onSubmit = submit(
    ({ role: chosen }) => (user ? adminApi.changeRole(user.id, chosen) : Promise.reject(new Error('no user'))),
    (_result, { role: chosen }) => user && onChanged(user, chosen),
  );

  return (
    <Modal opened={user !== null} onClose={onClose} title="Change role" centered>
      {user && (
        <form ref={ref} onSubmit={onSubmit} noValidate>
          <Stack gap="md">
            <Text size="sm">
              Choose the role of <strong>{user.username}</strong>. The change applies from their next request; they stay
              signed in.
            </Text>
            <ErrorAlert message={summary} />
            <RoleChoice value={role} onChange={(next) => form.setFieldValue('role', next)} error={form.errors.role as string | undefined} />
            <Group justify="flex-end" gap="sm">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={pending} disabled={role === user.role}>
                Change Role
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}


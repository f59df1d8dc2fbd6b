import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useEffect } from 'react';
import { adminApi, type CompanyUser, type InvitableRole } from '../../api/admin';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useApiForm } from '../../forms';
import { inviteSchema } from '../../forms/schemas';
import { RoleChoice } from './RoleChoice';

interface InviteDialogProps {
  opened: boolean;
  companyName: string;
  onClose: () => void;
  onInvited: (user: CompanyUser) => void;
}

const empty = { email: '', username: '', displayName: '', role: 'user' as InvitableRole };

/** The invite email carries a Sign Up link, like the Root Master's welcome email. */
export function InviteDialog({ opened, companyName, onClose, onInvited }: InviteDialogProps) {
  const { form, ref, summary, pending, submit, restart } = useApiForm({
    initialValues: empty,
    schema: inviteSchema,
    codeToField: { 'user.username_taken': 'username' },
  });
  // Each opening starts blank.
  useEffect(() => {
    if (opened) restart();
  }, [opened, restart]);

  const onSubmit = submit(
    ({ displayName, ...input }, idempotencyKey) => adminApi.invite({ ...input, ...(displayName ? { displayName } : {}) }, idempotencyKey),
    (result) => onInvited(result.user),
  );

  return (
    <Modal opened={opened} onClose={onClose} title="Invite User" size="lg" centered>
      <form ref={ref} onSubmit={onSubmit} noValidate>
        <Stack gap="md">
          <Text size="sm" c="dimmed">
            We email a Sign Up link. The user sets a password, then logs in with the username and the company name{' '}
            <strong>{companyName}</strong>, and sets up 2FA.
          </Text>
          <ErrorAlert message={summary} />
          <TextInput label="Email" name="email" type="email" autoComplete="off" data-autofocus
            {...form.getInputProps('email')} />
          <TextInput label="Username" name="username" autoComplete="off" autoCapitalize="none" spellCheck={false}
            description="Unique in your company. 2-64 letters, digits, dots, dashes, underscores or @."
            {...form.getInputProps('username')} />
          <TextInput label="Display Name (optional)" name="displayName" autoComplete="off"
            description="How Gatehouse shows the user, for example their full name."
            {...form.getInputProps('displayName')} />
          <RoleChoice value={form.values.role} onChange={(role) => form.setFieldValue('role', role)} error={form.errors.role as string | undefined} />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={pending}>
              Send Invite
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

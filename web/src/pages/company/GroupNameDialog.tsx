import { Button, Group as Row, Modal, Stack, TextInput } from '@mantine/core';
import { groupNameBody } from '@contract';
import { useEffect } from 'react';
import { groupsApi, type Group } from '../../api/groups';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useApiForm } from '../../forms';

interface GroupNameDialogProps {
  opened: boolean;
  /** The group to rename; none to create one. */
  group: Group | null;
  onClose: () => void;
  onSaved: (group: Group) => void;
}

/** New Group and Rename Group: one name, unique in the company however it is spelled. */
export function GroupNameDialog({ opened, group, onClose, onSaved }: GroupNameDialogProps) {
  const { form, ref, summary, pending, submit, restart } = useApiForm({
    initialValues: { name: '' },
    schema: groupNameBody,
    codeToField: { 'group.name_taken': 'name' },
  });
  useEffect(() => {
    if (opened) restart({ name: group?.name ?? '' });
  }, [opened, group, restart]);

  const onSubmit = submit(
    ({ name }, idempotencyKey) => (group ? groupsApi.rename(group.id, name) : groupsApi.create(name, idempotencyKey)),
    (result) => onSaved(result.group),
  );

  return (
    <Modal opened={opened} onClose={onClose} title={group ? 'Rename Group' : 'New Group'} centered>
      <form ref={ref} onSubmit={onSubmit} noValidate>
        <Stack gap="md">
          <ErrorAlert message={summary} />
          <TextInput label="Group Name" name="name" autoComplete="off" data-autofocus {...form.getInputProps('name')} />
          <Row justify="flex-end" gap="sm">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={pending}>
              {group ? 'Rename' : 'Create Group'}
            </Button>
          </Row>
        </Stack>
      </form>
    </Modal>
  );
}

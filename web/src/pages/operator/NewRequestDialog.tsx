import { Modal, Text } from '@mantine/core';
import { api } from '../../api';
import { AccountRequestForm } from '../../components/AccountRequestForm';

interface NewRequestDialogProps {
  opened: boolean;
  onClose: () => void;
  onCreated: (companyName: string) => void;
}

/** For requests that reach an operator by phone or helpdesk: the public form, entered for them. */
export function NewRequestDialog({ opened, onClose, onCreated }: NewRequestDialogProps) {
  return (
    <Modal opened={opened} onClose={onClose} title="New company account request" size="lg" centered>
      <Text size="sm" c="dimmed" mb="md">
        Enter a request received from an account manager or the helpdesk. It joins the pending list like any other.
      </Text>
      {opened && <AccountRequestForm submit={api.operator.createRequest} onSubmitted={(input) => onCreated(input.companyName)} />}
    </Modal>
  );
}

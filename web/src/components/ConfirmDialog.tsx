import { Button, Group, Modal, Stack } from '@mantine/core';
import { useEffect, type ReactNode } from 'react';
import { ErrorAlert } from './ErrorAlert';
import { useAction } from '../hooks/useAction';

interface ConfirmDialogProps {
  opened: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** Red for what cannot be undone or ends someone's access. */
  danger?: boolean;
  onClose: () => void;
  /** The call to make; the dialog shows its error and stays open when it fails. */
  onConfirm: () => Promise<unknown>;
  onDone: (result: unknown) => void;
}

/**
 * Asks before an action on someone's account. Cancel has the focus, so a stray Enter
 * does not delete or reset anything.
 */
export function ConfirmDialog({ opened, title, children, confirmLabel, danger, onClose, onConfirm, onDone }: ConfirmDialogProps) {
  const action = useAction();
  const { setError } = action;

  useEffect(() => {
    if (opened) setError(null);
  }, [opened, setError]);

  const confirm = async () => {
    const result = await action.run(onConfirm);
    if (result !== undefined) onDone(result);
  };

  return (
    <Modal opened={opened} onClose={onClose} title={title} centered>
      <Stack gap="md">
        {children}
        <ErrorAlert message={action.error?.message} />
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onClose} data-autofocus>
            Cancel
          </Button>
          <Button color={danger ? 'red' : undefined} onClick={() => void confirm()} loading={action.pending}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

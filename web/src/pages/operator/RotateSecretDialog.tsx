import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useEffect } from 'react';
import { api, type RegisteredModule } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useAction } from '../../hooks/useAction';

interface RotateSecretDialogProps {
  module: RegisteredModule | null;
  onClose: () => void;
  onRotated: (module: RegisteredModule, clientSecret: string) => void;
}

/** Asks first: the current secret stops working the moment a new one is issued. */
export function RotateSecretDialog({ module, onClose, onRotated }: RotateSecretDialogProps) {
  const action = useAction();
  const { setError } = action;

  useEffect(() => {
    if (module) setError(null);
  }, [module, setError]);

  const onConfirm = async () => {
    if (!module) return;
    const result = await action.run(() => api.operator.rotateSecret(module.id));
    if (result) onRotated(module, result.clientSecret);
  };

  return (
    <Modal opened={module !== null} onClose={onClose} title="Rotate client secret" centered>
      {module && (
        <Stack gap="md">
          <Text size="sm">
            Issue a new client secret for <strong>{module.name}</strong>? The current secret stops working at once: until
            the module is configured with the new one, nobody can log in to it.
          </Text>
          <ErrorAlert message={action.error?.message} />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onClose} data-autofocus>
              Cancel
            </Button>
            <Button color="red" onClick={() => void onConfirm()} loading={action.pending}>
              Rotate Secret
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

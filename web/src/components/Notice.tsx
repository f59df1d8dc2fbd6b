import { Alert } from '@mantine/core';

/** The outcome of the last action on a tab; a status region, so it is read out politely. */
export function Notice({ message, onClose }: { message: string | null; onClose: () => void }) {
  if (!message) return null;
  return (
    <Alert color="teal" variant="light" role="status" withCloseButton closeButtonLabel="Dismiss" onClose={onClose}>
      {message}
    </Alert>
  );
}

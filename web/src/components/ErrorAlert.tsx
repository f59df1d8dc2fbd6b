import { Alert } from '@mantine/core';

/** Shows an API error's message; role="alert" so screen readers announce it at once. */
export function ErrorAlert({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <Alert color="red" variant="light" role="alert">
      {message}
    </Alert>
  );
}

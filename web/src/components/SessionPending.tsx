import { Button, Stack } from '@mantine/core';
import type { ApiError } from '../api';
import { ErrorAlert } from './ErrorAlert';
import { LoadingState } from './LoadingState';

/** What a signed-in page shows while the session loads, or when loading it failed. */
export function SessionPending({ error, onRetry }: { error: ApiError | null | undefined; onRetry: () => void }) {
  return (
    <Stack p="xl" maw={480} mx="auto">
      <ErrorAlert message={error?.message} />
      {error ? <Button variant="default" onClick={onRetry}>Try again</Button> : <LoadingState />}
    </Stack>
  );
}

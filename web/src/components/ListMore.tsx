import { Button, Group, Stack, Text } from '@mantine/core';
import type { ApiError } from '../api';
import { ErrorAlert } from './ErrorAlert';

interface ListMoreProps {
  shown: number;
  total: number;
  hasMore: boolean;
  loading: boolean;
  error: ApiError | null;
  onMore: () => void;
}

/** Under a long list: how much of it is shown, and "Load More" while the server has more. */
export function ListMore({ shown, total, hasMore, loading, error, onMore }: ListMoreProps) {
  return (
    <Stack gap="xs" align="center">
      <ErrorAlert message={error?.message} />
      <Text size="sm" c="dimmed" aria-live="polite">
        Showing {shown.toLocaleString()} of {total.toLocaleString()}
      </Text>
      {hasMore && (
        <Group justify="center">
          <Button variant="default" onClick={onMore} loading={loading}>
            Load More
          </Button>
        </Group>
      )}
    </Stack>
  );
}

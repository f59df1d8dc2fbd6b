import { Button, Group, Stack, Text, TextInput } from '@mantine/core';
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

interface ListSearchProps {
  label: string;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
}

/** Above a long list: the search box its server answers (`q`, at most 100 characters). */
export function ListSearch({ label, placeholder, value, onChange }: ListSearchProps) {
  return (
    <TextInput
      aria-label={label}
      placeholder={placeholder}
      size="sm"
      w={240}
      type="search"
      maxLength={100}
      value={value}
      onChange={(event) => onChange(event.currentTarget.value)}
    />
  );
}

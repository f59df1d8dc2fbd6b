import { Button, Group, Stack } from '@mantine/core';
import { useEffect } from 'react';
import { useNavigate } from 'react-router';
import type { ApiError } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Forbidden } from './Forbidden';

/** What a tab shows when its list fails to load: sign-in, no access, or a retry. */
export function LoadError({ error, onRetry }: { error: ApiError; onRetry: () => void }) {
  const navigate = useNavigate();
  const signedOut = error.status === 401;
  useEffect(() => {
    if (signedOut) navigate('/login', { replace: true });
  }, [signedOut, navigate]);

  if (signedOut) return null;
  if (error.status === 403) return <Forbidden />;
  return (
    <Stack gap="sm">
      <ErrorAlert message={error.message} />
      <Group>
        <Button variant="default" onClick={onRetry}>
          Try again
        </Button>
      </Group>
    </Stack>
  );
}

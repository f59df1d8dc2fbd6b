import { Button, Group, Stack } from '@mantine/core';
import { useEffect } from 'react';
import { useNavigate } from 'react-router';
import type { ApiError } from '../api';
import { ErrorAlert } from './ErrorAlert';
import { NoAccess, type Place } from './NoAccess';

/**
 * What a tab shows when its data fails to load: the login page when the session ended,
 * who the place is for on 403 (when it is a place with an audience), otherwise the
 * message and a retry.
 */
export function LoadError({ error, onRetry, place }: { error: ApiError; onRetry: () => void; place?: Place }) {
  const navigate = useNavigate();
  const signedOut = error.status === 401;
  useEffect(() => {
    if (signedOut) navigate('/login', { replace: true });
  }, [signedOut, navigate]);

  if (signedOut) return null;
  if (error.status === 403 && place) return <NoAccess place={place} />;
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

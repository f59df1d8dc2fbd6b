import { Button, Group, Stack } from '@mantine/core';
import { useEffect } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { loginPageFor, type ApiError } from '../api';
import { ErrorAlert } from './ErrorAlert';
import { NoAccess, type Place } from './NoAccess';

/**
 * What a tab shows when its data fails to load: the login page when the session ended
 * (and back to this page after the login),
 * who the place is for on 403 (when it is a place with an audience), otherwise the
 * message and a retry.
 */
export function LoadError({ error, onRetry, place }: { error: ApiError; onRetry: () => void; place?: Place }) {
  const navigate = useNavigate();
  const { pathname, search } = useLocation();
  const signedOut = error.status === 401;
  useEffect(() => {
    if (signedOut) navigate(loginPageFor(`${pathname}${search}`), { replace: true });
  }, [signedOut, navigate, pathname, search]);

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

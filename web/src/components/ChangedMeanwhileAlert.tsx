import { Alert, Button, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import type { ApiError } from '../api';

/** The server's refusal of a save made on settings someone else has saved since (HTTP 412). */
export const CHANGED_MEANWHILE = 'request.changed_meanwhile';

/**
 * A settings form's answer to that refusal: the user's own values stay in the form (nothing
 * they typed is thrown away unasked), the alert says why nothing was saved, and its button
 * loads the settings as they are now into the form, to make the change again on them.
 * `claim` goes to the form's error handling and takes only this refusal.
 */
export function useChangedMeanwhile(showCurrent: () => Promise<unknown>) {
  const [message, setMessage] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const claim = (error: ApiError) => {
    if (error.code !== CHANGED_MEANWHILE) return false;
    setMessage(error.message);
    return true;
  };
  const reload = async () => {
    setLoading(true);
    try {
      await showCurrent();
      setMessage(null);
    } finally {
      setLoading(false);
    }
  };
  const alert = message && (
    <Alert color="orange" variant="light" role="alert" title="Not saved">
      <Stack gap="xs" align="flex-start">
        <Text size="sm">{message}</Text>
        <Button size="xs" variant="default" loading={loading} onClick={() => void reload()}>
          Show Current Settings
        </Button>
      </Stack>
    </Alert>
  );
  return { claim, alert, clear: () => setMessage(null) };
}

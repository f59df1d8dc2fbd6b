import { Alert, Button, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import type { ApiError } from '../api';

/** The server's refusal of a save made on settings someone else has saved since (HTTP 412). */
export const CHANGED_MEANWHILE = 'request.changed_meanwhile';

/**
 * Says why nothing was saved, and offers the settings as they are now: the user makes
 * their change again on those (docs/SECURITY.md, "A form left open does not undo a newer save").
 */
export function ChangedMeanwhileAlert({ message, onShowCurrent }: { message: string; onShowCurrent: () => Promise<unknown> }) {
  const [loading, setLoading] = useState(false);
  const showCurrent = async () => {
    setLoading(true);
    try {
      await onShowCurrent();
    } finally {
      setLoading(false);
    }
  };
  return (
    <Alert color="orange" variant="light" role="alert" title="Not saved">
      <Stack gap="xs" align="flex-start">
        <Text size="sm">{message}</Text>
        <Button size="xs" variant="default" loading={loading} onClick={() => void showCurrent()}>
          Show Current Settings
        </Button>
      </Stack>
    </Alert>
  );
}

/**
 * A settings form's answer to that refusal: the user's own values stay in the form (nothing
 * they typed is thrown away unasked) until they ask for the current settings, which
 * `showCurrent` loads into it. `claim` goes to the form's error handling and takes only
 * this refusal.
 */
export function useChangedMeanwhile(showCurrent: () => Promise<unknown>) {
  const [message, setMessage] = useState<string | null>(null);
  const claim = (error: ApiError) => {
    if (error.code !== CHANGED_MEANWHILE) return false;
    setMessage(error.message);
    return true;
  };
  const alert = message && (
    <ChangedMeanwhileAlert
      message={message}
      onShowCurrent={async () => {
        await showCurrent();
        setMessage(null);
      }}
    />
  );
  return { claim, alert };
}

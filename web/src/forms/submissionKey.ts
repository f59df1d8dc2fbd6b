// The Idempotency-Key of a form's submission (docs/API.md, "Idempotency keys"): the same
// values sent again after an answer that never came carry the same key, so Gatehouse
// answers what the first one made instead of making it twice; other values, or an answer
// that says nothing was done, start a new key.
import { useMemo, useRef } from 'react';
import { newIdempotencyKey, type ApiError } from '../api';

/** Answers after which the server may hold the submission, or still be running it: its key stays for a retry. */
export const mayHaveGoneThrough = (error: ApiError) => error.status === 0 || error.code === 'api.idempotency_in_progress';

export function useSubmissionKey() {
  // The key of the last submission whose answer was lost, and the values it was for.
  const pending = useRef<{ values: string; key: string } | null>(null);
  return useMemo(
    () => ({
      /** The key for sending `values` now. */
      keyFor(values: unknown): string {
        const sent = JSON.stringify(values);
        if (pending.current?.values !== sent) pending.current = { values: sent, key: newIdempotencyKey() };
        return pending.current.key;
      },
      /** The answer came: done, or refused (`error`); only an answer that may not have been the last word keeps the key. */
      answered(error?: ApiError) {
        if (!error || !mayHaveGoneThrough(error)) pending.current = null;
      },
    }),
    [],
  );
}

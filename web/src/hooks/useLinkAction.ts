import { useState } from 'react';
import type { ApiError } from '../api';
import { useAction } from './useAction';

/** An emailed single-use link that can no longer be used: used, expired, replaced or malformed all read the same. */
export function isUnusableLink(error: ApiError): boolean {
  return error.status === 410 || error.status === 404 || error.code === 'request.invalid';
}

export type LinkOutcome<T> = { kind: 'asking' } | { kind: 'done'; value: T } | { kind: 'gone' };

/**
 * The button behind an emailed link (confirm, cancel): opening the page changes nothing,
 * so a mail scanner that follows links cannot act; the button does it once.
 */
export function useLinkAction<T>(call: () => Promise<T>) {
  const [outcome, setOutcome] = useState<LinkOutcome<T>>({ kind: 'asking' });
  const action = useAction();
  const submit = async () => {
    if (action.pending) return;
    const result = await action.run(call, (error) => {
      if (!isUnusableLink(error)) return false;
      setOutcome({ kind: 'gone' });
      return true;
    });
    if (result !== undefined) setOutcome({ kind: 'done', value: result });
  };
  return { outcome, action, submit };
}

import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { forgetShownUser } from '../api';

/**
 * Drops everything cached for the signed-in user (their session, lists, settings), so
 * that after a sign-out or a new login nothing of the previous account is shown.
 */
export function useForgetSession() {
  const client = useQueryClient();
  return useCallback(() => {
    client.removeQueries();
    forgetShownUser();
  }, [client]);
}

// A module sign-in in progress, as the resume finds it: the interaction the browser
// carries sealed (carried-interaction.ts) or, when it was too large, its stored row, and
// either way the row's used mark (the resume that ends a sign-in leaves it marked: a
// sign-in used once is gone, whatever the browser still carries). Where the sealed
// interaction names its module, the module comes in the same read: the gate decides with
// it, and the provider asks for it right after (one read for both).
import type { Db } from '../../storage/index.ts';
import type { CarriedInteractions } from './carried-interaction.ts';
import { callerWithInteractionMark, recordById, revivedPayload, splitCallerRows, type StoredRecord } from './token-reads.ts';

export type SignInPayload = Record<string, unknown> & { params?: Record<string, unknown> };

export interface SignInRecord {
  /** The sign-in, if it is there, unexpired and not used. */
  payload?: SignInPayload;
  /** The module it is for, when it was read with it (undefined: not read, or no such module). */
  caller?: ReturnType<typeof splitCallerRows>['caller'];
  /** Whether the module was looked for (so `caller` undefined means there is none). */
  callerRead: boolean;
}

/** Sign-in `uid`, with its module when `withModule` and the sealed sign-in names it. */
export async function readSignIn(db: Db, interactions: CarriedInteractions | undefined, uid: string, now: number, withModule: boolean): Promise<SignInRecord> {
  const sealed = interactions?.carriedFor(uid) as SignInPayload | undefined;
  const clientId = withModule ? sealed?.params?.client_id : undefined;
  let mark: StoredRecord | undefined;
  let caller: SignInRecord['caller'];
  if (typeof clientId === 'string') {
    const split = splitCallerRows(await callerWithInteractionMark(db, clientId, uid));
    caller = split.caller;
    // Where the left join found the record, it has all its columns.
    const [found] = split.tokens;
    mark = found ? { payload: found.payload as string, consumed_at: found.consumed_at, expires_at: found.expires_at } : undefined;
  } else {
    [mark] = await recordById(db, 'Interaction', uid);
  }
  const callerRead = typeof clientId === 'string';
  if (mark && mark.consumed_at !== null) return { caller, callerRead };
  return { payload: sealed ?? (mark && (revivedPayload(mark, now) as SignInPayload | undefined)), caller, callerRead };
}

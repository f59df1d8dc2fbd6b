// What every capability is built from. Passed in explicitly (no globals), so tests can
// give each server its own database, clock and keys.
import type { Config } from '../config.ts';
import type { PasswordHasher, SecretBox } from '../crypto/index.ts';
import type { Db } from '../storage/index.ts';
import type { Clock } from './clock.ts';

export interface CoreDeps {
  db: Db;
  config: Config;
  secrets: SecretBox;
  hasher: PasswordHasher;
  clock: Clock;
  /** A 256-bit key for one purpose, derived from the master secret key (once per process; never write to it). */
  deriveKey: (purpose: string) => Buffer;
  /** Called after a commit that queued mail, so delivery starts at once. */
  mailQueued: () => void;
  /** The least time a neutral answer takes, in ms (ANSWER_FLOOR_MS; shorter only in tests). */
  answerFloorMs: number;
}

/** Who is asking, for the audit trail. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

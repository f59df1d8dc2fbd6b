// Conditional saves for settings edited as a whole form (a company's security policy, its
// single sign-on settings). Two Masters open the same form; the first saves a new IP
// allowlist entry or switches a stricter rule on; the second, whose form still shows the
// old values, saves something else and would send the old values back with it, undoing
// the first change without anyone being told. So a form's answer carries the version of
// what it shows, and a save that names a version is refused when the stored settings are
// no longer that version (HTTP's ETag and If-Match: src/http/conditional-saves.ts).
//
// The version is a digest of the settings themselves, not a counter: no column to keep
// in step, and a change undone (on, then off again) is the same version as before, which
// is right, since a form showing it shows the truth.
import { hash } from 'node:crypto';
import { GatehouseError } from '../errors.ts';

/**
 * Any version: If-Match's bare `*`, a save that only needs the settings to exist. A symbol,
 * so no entity tag can spell it (a quoted `"*"` is an ordinary tag, which no version is).
 */
export const ANY_VERSION = Symbol('any version');

/** The versions a save may be made on (If-Match), ANY_VERSION, or undefined: unconditional. */
export type ReadAt = readonly string[] | typeof ANY_VERSION | undefined;

/** The settings' version: the same settings give the same version on every node. */
export function settingsVersion(settings: unknown): string {
  return hash('sha256', stableJson(settings), 'base64url').slice(0, 22);
}

/**
 * Refuses a save whose form was read (`readAt`: If-Match's versions) from settings whose
 * version is no longer one of them (412 request.changed_meanwhile). Called
 * inside the save's transaction, after the row is locked and before anything is written,
 * so a save between the check and the write cannot slip in.
 */
export function assertVersionRead(readAt: ReadAt, current: string): void {
  if (readAt === undefined || readAt === ANY_VERSION) return;
  if (!readAt.includes(current)) throw new GatehouseError('request.changed_meanwhile');
}

/** JSON with object keys in code-unit order, so equal settings always read the same. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

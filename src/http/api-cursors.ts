// Page cursors for the long lists (/api/v1, the operator console, the CLI): opaque to the
// client (base64url), each names the last item of the page it ends, in the list's own
// order. A cursor that does not decode is a field error, like any other bad query value.
// Base64url decodes to any bytes, so what a cursor carries is held to what its item can be
// (text the database takes, an id) before it reaches a query: PostgreSQL refuses a NUL, or
// bytes that are not UTF-8, outright.
import { GatehouseError } from '../errors.ts';
import type { AuditPosition } from '../audit/index.ts';
import type { TimeKey } from '../storage/index.ts';

/** Control characters: no username was ever stored with one (PostgreSQL takes no NUL at all). */
const CONTROL = /\p{Cc}/u;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function badCursor(): GatehouseError {
  return new GatehouseError('request.invalid', { fields: { cursor: 'Not a cursor from a previous page.' } });
}

const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
/** The cursor's text; undefined when its bytes are not UTF-8 (Buffer would put U+FFFD in). */
function decode(cursor: string): string | undefined {
  try {
    return strictUtf8.decode(Buffer.from(cursor, 'base64url'));
  } catch {
    return undefined;
  }
}

/**
 * Users are listed by username: the cursor carries the page's last one. Not held to the
 * username rules: a page can end on any username stored, and one saved before today's
 * rules (a mixed-script name, a long name a provider asserted) must lead to the next page
 * like any other. The query only compares it (`username > cursor`, within the company the
 * caller may read), so any text the database takes is safe; control characters (a NUL
 * above all) are in no username and refused.
 */
export const userCursor = {
  of: (username: string) => encode(`u:${username}`),
  read(cursor: string): string {
    const text = decode(cursor);
    if (text === undefined || !text.startsWith('u:') || text.length < 3 || CONTROL.test(text)) throw badCursor();
    return text.slice(2);
  },
};

/**
 * Lists by time, then id (account requests, companies, the audit trail): the cursor carries
 * both. The letter names the list, so one list's cursor is no position in another; `idShape`
 * is what the list's ids look like (a UUID, or the trail's numbers).
 */
function timeCursor(list: string, idShape: RegExp = UUID) {
  const shape = new RegExp(`^${list}:(\\d{1,16}):(.+)$`);
  return {
    of: (last: { createdAt: number; id: string | number }) => encode(`${list}:${last.createdAt}:${last.id}`),
    read(cursor: string): TimeKey {
      const match = shape.exec(decode(cursor) ?? '');
      if (!match?.[1] || !match[2] || !idShape.test(match[2])) throw badCursor();
      return { createdAt: Number(match[1]), id: match[2] };
    },
  };
}

const EVENT_ID = /^[1-9][0-9]{0,15}$/;
const auditTimeCursor = timeCursor('a', EVENT_ID);

/**
 * The audit trail by time, then id (src/audit/query.ts). A cursor of an earlier release, the
 * last event's id alone, is still read: as that event's place, looked up by the caller.
 */
export const auditCursor = {
  of: (last: AuditPosition) => auditTimeCursor.of(last),
  read(cursor: string): AuditPosition | { legacyId: number } {
    if (EVENT_ID.test(cursor)) return { legacyId: Number(cursor) };
    const { createdAt, id } = auditTimeCursor.read(cursor);
    return { createdAt, id: Number(id) };
  },
};

export const requestCursor = timeCursor('r');
export const companyCursor = timeCursor('c');

/** One more than the page is read: if it came, there is a next page, starting after the last shown. */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (last: T) => string): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

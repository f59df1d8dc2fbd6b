// Page cursors for the long lists (/api/v1, the operator console, the CLI): opaque to the
// client, each names the last item of the page it ends, in the list's own order. A cursor
// is sealed to what it is a position in (sealed, opened): its list and whatever decides
// that list's rows and order (the company, the filters), by a keyed hash only the server
// derives. So a cursor cut short, made up, or taken from another company's list or another
// filter's is refused as one, 400 with `fields.cursor`, never read as some other place (a
// cut-short audit cursor once read as the trail's end, and an automated sync skipped the
// rest). What a sealed cursor carries is still held to what its item can be (text the
// database takes, an id) before it reaches a query.
import { constantTimeEqual, keyedHash } from '../crypto/index.ts';
import { GatehouseError } from '../errors.ts';
import type { AuditPosition } from '../audit/index.ts';
import type { TimeKey } from '../storage/index.ts';

/** Control characters: no username was ever stored with one (PostgreSQL takes no NUL at all). */
const CONTROL = /\p{Cc}/u;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The derived key's purpose (CoreDeps.deriveKey). */
export const PAGE_CURSOR_KEY = 'page-cursors';

/**
 * What a cursor is a position in: the server's cursor key, and the list with what decides
 * its rows and order (`binding`: the company, the filters as the list reads them).
 */
export interface CursorPlace {
  key: Buffer;
  binding: Record<string, unknown>;
}

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

/** The binding's fields in one order, the absent ones left out: the same list whatever the query's spelling. */
const canonical = (binding: Record<string, unknown>) =>
  JSON.stringify(Object.entries(binding).filter(([, value]) => value !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** 128 bits of the keyed hash, in base64url (22 characters): what no one without the key makes. */
const TAG_LENGTH = 22;
const tagOf = (place: CursorPlace, body: string) => keyedHash(place.key, `${canonical(place.binding)}\n${body}`, 'base64url').slice(0, TAG_LENGTH);

/** The position's text in base64url, then its tag: one base64url word, as cursors have always been. */
function sealed(place: CursorPlace, text: string): string {
  const body = encode(text);
  return `${body}${tagOf(place, body)}`;
}

/** The text a cursor sealed to `place` carries; anything else is a bad cursor. */
function opened(place: CursorPlace, cursor: string): string {
  const body = cursor.slice(0, -TAG_LENGTH);
  if (body === '' || !constantTimeEqual(cursor.slice(-TAG_LENGTH), tagOf(place, body))) throw badCursor();
  const text = decode(body);
  if (text === undefined) throw badCursor();
  return text;
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
  of: (place: CursorPlace, username: string) => sealed(place, `u:${username}`),
  read(place: CursorPlace, cursor: string): string {
    const text = opened(place, cursor);
    if (!text.startsWith('u:') || text.length < 3 || CONTROL.test(text)) throw badCursor();
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
    of: (place: CursorPlace, last: { createdAt: number; id: string | number }) => sealed(place, `${list}:${last.createdAt}:${last.id}`),
    read(place: CursorPlace, cursor: string): TimeKey {
      const match = shape.exec(opened(place, cursor));
      if (!match?.[1] || !match[2] || !idShape.test(match[2])) throw badCursor();
      return { createdAt: Number(match[1]), id: match[2] };
    },
  };
}

const EVENT_ID = /^[1-9][0-9]{0,15}$/;
const auditTimeCursor = timeCursor('a', EVENT_ID);

/**
 * The audit trail by time, then id (src/audit/query.ts). A bare event id (an earlier
 * release's cursor) is refused like any other unsealed one: it carried no filter and no
 * seal, so a number cut short or made up was read as a place and a sync skipped events.
 */
export const auditCursor = {
  of: (place: CursorPlace, last: AuditPosition) => auditTimeCursor.of(place, last),
  read(place: CursorPlace, cursor: string): AuditPosition {
    const { createdAt, id } = auditTimeCursor.read(place, cursor);
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

// Page cursors for /api/v1 lists: opaque to the client (base64url), each names the last
// item of the page it ends, in the list's own order. A cursor that does not decode is a
// field error, like any other bad query value. Base64url decodes to any bytes, so what a
// cursor carries is held to the rules its item has (a username's, an id's) before it
// reaches a query: PostgreSQL refuses a NUL in text outright.
import { usernameProblem } from '../shared/text.ts';
import { GatehouseError } from '../errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function badCursor(): GatehouseError {
  return new GatehouseError('request.invalid', { fields: { cursor: 'Not a cursor from a previous page.' } });
}

const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const decode = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8');

/**
 * Users are listed by username: the cursor carries the page's last one. It must pass the
 * rule every stored username passed (createUser's, src/users/store.ts), which refuses
 * control and invisible characters; not the form's stricter shape, which a username a
 * provider asserted need not have (the cursor after such a user must still read).
 */
export const userCursor = {
  of: (username: string) => encode(`u:${username}`),
  read(cursor: string): string {
    const text = decode(cursor);
    if (!text.startsWith('u:') || text.length < 3) throw badCursor();
    const username = text.slice(2);
    if (usernameProblem(username) !== undefined) throw badCursor();
    return username;
  },
};

/** Account requests are listed by time, then id: the cursor carries both. */
export const requestCursor = {
  of: (row: { created_at: number; id: string }) => encode(`r:${row.created_at}:${row.id}`),
  read(cursor: string): { createdAt: number; id: string } {
    const match = /^r:(\d{1,16}):(.+)$/.exec(decode(cursor));
    if (!match?.[1] || !match[2] || !UUID.test(match[2])) throw badCursor();
    return { createdAt: Number(match[1]), id: match[2] };
  },
};

/** One more than the page is read: if it came, there is a next page, starting after the last shown. */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (last: T) => string): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

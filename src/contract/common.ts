// Shapes every area of the API shares: times, ids, the error body and the small answers.
import { z } from 'zod';
import { anId } from './fields.ts';

/** A moment, as ISO 8601 in UTC (`2026-12-01T10:00:00.000Z`). */
export const time = z.iso.datetime();
export const maybeTime = time.nullable();

/** A path id: anything that is not a UUID is answered like an unknown id (404). */
export const idParams = z.object({ id: anId() });

/** A link's token as it travels in a path (the page checks it; a bad one is "unusable"). */
export const tokenParams = z.object({ token: z.string().max(100) });

/** A token taken from an emailed link: 32 random bytes, base64url. */
export const linkToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'This link is not valid.');

/**
 * Cursor paging for the long lists (the API's, the operator console's): `limit` (1 to 500,
 * 100 by default) and the previous page's `nextCursor` as `cursor`; the answer's
 * nextCursor is null on the last page. An empty parameter is an absent one.
 */
export const MAX_PAGE = 500;
const blankIsAbsent = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
export const pageQuery = {
  limit: blankIsAbsent(z.coerce.number().int().min(1).max(MAX_PAGE, `At most ${MAX_PAGE} per page.`)).default(100),
  // Room for any username stored (a page may end on one saved before today's length rule).
  cursor: blankIsAbsent(z.string().regex(/^[A-Za-z0-9_-]{1,1400}$/, 'Not a cursor from a previous page.')),
};
export const nextCursor = z.string().nullable();

/**
 * The user a signed-in page shows (its id, from GET /api/me), in a download link's URL: a
 * navigation cannot carry the X-Gatehouse-User header, and a link from a tab left on
 * another account must not download the browser's current one's data. Refused like the
 * header (409 session.changed, src/http/guards.ts).
 */
export const SHOWN_USER_PARAM = 'shownUser';
export const shownUserQuery = { [SHOWN_USER_PARAM]: anId({ error: 'Not a user id.' }).optional() };

/**
 * A conditional save's If-Match (docs/API.md, Conventions): the ETag (`version`) of the
 * settings the change was made on; read by src/http/conditional-saves.ts.
 */
export const ifMatchHeaders = z.object({
  'if-match': z
    .string()
    .regex(/^[\x20-\x7e]{0,1024}$/, 'Send the ETag of the answer the change was made on, in its quotes (or * for any).')
    .optional(),
});

/** Done, nothing to say. */
export const done = z.object({});

/** Where the browser goes next (after a sign-up, a reset, a sign-out). */
export const nextPage = z.object({ next: z.string() });

export const roles = z.enum(['root_master', 'master', 'user']);
export const userStatuses = z.enum(['invited', 'active', 'disabled']);
export const companyStatuses = z.enum(['active', 'suspended']);

/** Every error: a stable code, a message safe to show, and per-field messages for forms. */
export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.record(z.string(), z.string()).optional(),
  }),
});

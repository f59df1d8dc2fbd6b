// Account requests and companies a page at a time, shared by the operator console's routes
// (routes/operator.ts) and the API's (routes/api-v1-requests.ts, api-v1-companies.ts): one
// keyset, one cursor, so a page means the same thing whoever asks.
import { countAccountRequests, countCompanies, listAccountRequests, listCompanies } from '../companies/index.ts';
import { accountRequestView, companyView } from '../presenters/index.ts';
import type { CoreDeps } from '../shared/deps.ts';
import { invitationVolume } from '../users/index.ts';
import { companyCursor, PAGE_CURSOR_KEY, pageOf, requestCursor, type CursorPlace } from './api-cursors.ts';

type RequestStatus = Parameters<typeof listAccountRequests>[1];
interface Paging {
  limit: number;
  cursor?: string | undefined;
  q?: string | undefined;
}

/** Where a page of account requests is: their status (which decides the order too) and the search. */
export const requestListPlace = (deps: Pick<CoreDeps, 'deriveKey'>, status: RequestStatus, search: string | undefined): CursorPlace => ({
  key: deps.deriveKey(PAGE_CURSOR_KEY),
  binding: { list: 'requests', status, search },
});

/** A page of account requests (pending oldest first, the others newest first). */
export async function accountRequestPage(deps: CoreDeps, input: Paging & { status: RequestStatus }) {
  const place = requestListPlace(deps, input.status, input.q);
  const after = input.cursor === undefined ? undefined : requestCursor.read(place, input.cursor);
  const rows = await listAccountRequests(deps.db, input.status, deps.clock(), { after, limit: input.limit + 1, search: input.q });
  const page = pageOf(rows, input.limit, (last) => requestCursor.of(place, { createdAt: last.created_at, id: last.id }));
  return { requests: page.items.map(accountRequestView), nextCursor: page.nextCursor };
}

/** A page of tenant companies, newest first, each with its Root Master and invitation volume. */
export async function companyPage(deps: CoreDeps, input: Paging) {
  const place = { key: deps.deriveKey(PAGE_CURSOR_KEY), binding: { list: 'companies', search: input.q } };
  const after = input.cursor === undefined ? undefined : companyCursor.read(place, input.cursor);
  const rows = await listCompanies(deps.db, { after, limit: input.limit + 1, search: input.q });
  const page = pageOf(rows, input.limit, (last) => companyCursor.of(place, last));
  const volume = await invitationVolume(deps.db, deps.clock(), page.items.map((c) => c.id));
  return { companies: page.items.map((c) => companyView(c, volume)), nextCursor: page.nextCursor };
}

/** The console's pages also say how many match, over all pages. */
export async function operatorRequestPage(deps: CoreDeps, input: Paging & { status: RequestStatus }) {
  const page = await accountRequestPage(deps, input);
  return { ...page, total: await countAccountRequests(deps.db, input.status, input.q) };
}

export async function operatorCompanyPage(deps: CoreDeps, input: Paging) {
  const page = await companyPage(deps, input);
  return { ...page, total: await countCompanies(deps.db, input.q) };
}

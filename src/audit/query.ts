// Reading the trail: filters, a (time, id) cursor (newest first), and the names people know
// (company, actor) joined in. Tenant scope is the first filter, set by the caller from
// the session, never from the request.
import { sql } from 'kysely';
import type { Queryable } from '../storage/index.ts';

export { MAX_AUDIT_PAGE } from '../contract/company.ts';

export interface AuditQuery {
  /** Only this company's events; undefined: every company's (operators). */
  companyId?: string | undefined;
  /** An exact action, or a prefix when it ends with a dot (`login.`). */
  action?: string | undefined;
  actorId?: string | undefined;
  /** Events an API client did (its row id). */
  actorClientId?: string | undefined;
  target?: string | undefined;
  /** created_at >= from. */
  from?: number | undefined;
  /** created_at < until. */
  until?: number | undefined;
  /** Only events after this one in the trail's order (older, or as old with a lower id): the previous page's last. */
  before?: AuditPosition | undefined;
  limit: number;
}

/**
 * An event's place in the trail: its time, then its id. The trail is read newest first by
 * time, not by id: on PostgreSQL a change's event carries the time the change began, and
 * one that waited for a lock (another change to the same company) takes its id after
 * those that did not, so newest first by id went back in time.
 */
export interface AuditPosition {
  createdAt: number;
  id: number;
}

/** An entry's place in the trail, for the next page or batch after it. */
export const positionOf = (entry: Pick<AuditEntry, 'id' | 'time'>): AuditPosition => ({ createdAt: Date.parse(entry.time), id: entry.id });

export interface AuditEntry {
  id: number;
  time: string;
  companyId: string | null;
  companyName: string | null;
  actor: { id: string; username: string | null } | null;
  /** The API client that acted, when one did (its name as it is now, deleted or not). */
  apiClient: { id: string; clientId: string; name: string } | null;
  action: string;
  target: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown> | null;
}

export async function queryAudit(db: Queryable, query: AuditQuery): Promise<AuditEntry[]> {
  let select = db
    .selectFrom('audit_events as e')
    .leftJoin('companies as c', 'c.id', 'e.company_id')
    .leftJoin('users as u', 'u.id', 'e.actor_id')
    // A deleted actor's name, kept at the deletion (migration 0036).
    .leftJoin('former_users as fu', 'fu.id', 'e.actor_id')
    .leftJoin('companies as uc', (join) => join.on((eb) => eb('uc.id', '=', eb.fn.coalesce('u.company_id', 'fu.company_id'))))
    .leftJoin('api_clients as ac', 'ac.id', 'e.actor_client_id')
    .select([
      'e.actor_client_id', 'ac.client_id as actor_client_client_id', 'ac.name as actor_client_name',
      'e.id', 'e.company_id', 'e.actor_id', 'e.action', 'e.target', 'e.ip', 'e.user_agent', 'e.detail', 'e.created_at',
      'c.name as company_name', 'uc.is_platform as actor_is_operator',
      (eb) => eb.fn.coalesce('u.username', 'fu.username').as('actor_username'),
      (eb) => eb.fn.coalesce('u.company_id', 'fu.company_id').as('actor_company_id'),
    ])
    .orderBy('e.created_at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(Math.min(Math.max(query.limit, 1), 50_000));
  if (query.companyId !== undefined) select = select.where('e.company_id', '=', query.companyId);
  if (query.action?.endsWith('.')) {
    // substr, not LIKE: action names contain `_`, a LIKE wildcard.
    select = select.where(sql<string>`substr(e.action, 1, ${sql.lit(query.action.length)})`, '=', query.action);
  } else if (query.action !== undefined) select = select.where('e.action', '=', query.action);
  if (query.actorId !== undefined) select = select.where('e.actor_id', '=', query.actorId);
  if (query.actorClientId !== undefined) select = select.where('e.actor_client_id', '=', query.actorClientId);
  if (query.target !== undefined) select = select.where('e.target', '=', query.target);
  if (query.from !== undefined) select = select.where('e.created_at', '>=', query.from);
  if (query.until !== undefined) select = select.where('e.created_at', '<', query.until);
  const { before } = query;
  if (before !== undefined) {
    select = select.where((eb) => eb.or([eb('e.created_at', '<', before.createdAt), eb.and([eb('e.created_at', '=', before.createdAt), eb('e.id', '<', before.id)])]));
  }
  const rows = await select.execute();
  return rows.map((row) => {
    const detail = parseDetail(row.detail);
    // A name is shown for the company's own users and for operators, deleted ones too;
    // never for anyone else's user (which no event should name anyway).
    const known = row.actor_company_id === row.company_id || row.actor_is_operator === 1;
    const recorded = detail?.actorUsername ?? (row.actor_id === row.target ? detail?.username : undefined);
    return {
      id: Number(row.id),
      time: new Date(row.created_at).toISOString(),
      companyId: row.company_id,
      companyName: row.company_name,
      actor: row.actor_id === null ? null : { id: row.actor_id, username: (known ? row.actor_username : null) ?? (typeof recorded === 'string' ? recorded : null) },
      apiClient:
        row.actor_client_id === null
          ? null
          : { id: row.actor_client_id, clientId: row.actor_client_client_id ?? '', name: row.actor_client_name ?? 'Unknown API client' },
      action: row.action,
      target: row.target,
      ip: row.ip,
      userAgent: row.user_agent,
      detail,
    };
  });
}

function parseDetail(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  } catch {
    return { text };
  }
}

/** The newest events, unfiltered but for the company: for tests and the CLI. */
export async function listAudit(db: Queryable, companyId: string | null, limit = 100) {
  let query = db.selectFrom('audit_events').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit);
  if (companyId) query = query.where('company_id', '=', companyId);
  return query.execute();
}

// Security events, append-only. Written in the same transaction as the change they
// describe, so the trail never claims something that did not happen (or misses it).
// Nothing updates these rows, and no endpoint deletes them: only the retention an operator
// may set deletes the oldest, and records that it did (retention.ts).
import { hashToken } from '../crypto/index.ts';
import type { Insertable, QueryCreator } from 'kysely';
import type { Database, Queryable } from '../storage/index.ts';

export interface AuditEvent {
  companyId: string | null;
  actorId: string | null;
  /** The API client that acted (an /api/v1 request); actorId is then null. */
  actorClientId?: string | null;
  action: string;
  target?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /**
   * Facts worth keeping after the rows they describe are gone. `actorUsername` names the
   * actor once the user may be deleted (the audit view falls back to it).
   */
  detail?: Record<string, unknown>;
}

export async function recordAudit(db: Queryable, now: number, event: AuditEvent): Promise<void> {
  await auditInsert(db, now, event).execute();
}

/** recordAudit's statement, to run as a part of another (a login's last write on PostgreSQL). */
export function auditInsert(db: QueryCreator<Database>, now: number, event: AuditEvent) {
  return db.insertInto('audit_events').values(auditRow(now, event));
}

/** The row recordAudit writes, for a statement that inserts it only on a condition (src/modules/oidc/write-batch.ts). */
export function auditRow(now: number, event: AuditEvent): Insertable<Database['audit_events']> {
  return {
    company_id: event.companyId,
    actor_id: event.actorId,
    actor_client_id: event.actorClientId ?? null,
    action: event.action,
    target: event.target ?? null,
    ip: event.ip ?? null,
    user_agent: event.userAgent?.slice(0, 512) ?? null,
    detail: event.detail ? JSON.stringify(event.detail) : null,
    created_at: now,
  };
}

/** `session.ended` for the session a cookie token names, if it still exists. */
export async function recordSessionEnded(
  db: Queryable,
  now: number,
  sessionToken: string,
  meta: { ip: string | null; userAgent: string | null },
  /** logout, or replaced_by_login: another person logged in in the same browser. */
  reason: 'logout' | 'replaced_by_login' = 'logout',
): Promise<void> {
  const session = await db
    .selectFrom('sessions')
    .select(['company_id', 'user_id'])
    .where('id_hash', '=', hashToken(sessionToken))
    .executeTakeFirst();
  if (!session) return;
  await recordAudit(db, now, {
    companyId: session.company_id,
    actorId: session.user_id,
    action: 'session.ended',
    target: session.user_id,
    ip: meta.ip,
    userAgent: meta.userAgent,
    detail: { reason },
  });
}

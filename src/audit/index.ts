// Security events, append-only. Written in the same transaction as the change they
// describe, so the trail never claims something that did not happen (or misses it).
import type { Queryable } from '../storage/index.ts';

export interface AuditEvent {
  companyId: string | null;
  actorId: string | null;
  action: string;
  target?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  detail?: Record<string, unknown>;
}

export async function recordAudit(db: Queryable, now: number, event: AuditEvent): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      company_id: event.companyId,
      actor_id: event.actorId,
      action: event.action,
      target: event.target ?? null,
      ip: event.ip ?? null,
      user_agent: event.userAgent?.slice(0, 512) ?? null,
      detail: event.detail ? JSON.stringify(event.detail) : null,
      created_at: now,
    })
    .execute();
}

export async function listAudit(db: Queryable, companyId: string | null, limit = 100) {
  let query = db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(limit);
  if (companyId) query = query.where('company_id', '=', companyId);
  return query.execute();
}

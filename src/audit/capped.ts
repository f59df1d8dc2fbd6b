// An audit event that someone can cause again and again (a refusal), recorded only while
// its cap has room: past it the event is dropped, and the first one dropped in a window
// records `audit.refusals_dropped` (which action, the limit) instead, so the trail says
// that more happened without holding each one. The caps are the callers'
// (src/shared/anonymous-writes.ts per client network, src/shared/signed-in-writes.ts per
// user).
import { takeRateSlot, type Queryable, type RateCap } from '../storage/index.ts';
import { recordAudit, type AuditEvent } from './record.ts';

const MINUTE_MS = 60_000;

/**
 * `noticeActor` names who caused what was dropped, when that is known (a signed-in user);
 * null for refusals anyone can cause, whose event may name the user they were about.
 */
export async function recordUnderCap(db: Queryable, now: number, event: AuditEvent, cap: RateCap, noticeActor: string | null): Promise<void> {
  if (await takeRateSlot(db, cap, now)) return recordAudit(db, now, event);
  const notice: RateCap = { key: `${cap.key}:dropped`, limit: 1, windowMs: cap.windowMs };
  if (!(await takeRateSlot(db, notice, now))) return;
  await recordAudit(db, now, {
    companyId: event.companyId,
    actorId: noticeActor,
    action: 'audit.refusals_dropped',
    target: null,
    ip: event.ip ?? null,
    userAgent: event.userAgent ?? null,
    detail: { action: event.action, limit: cap.limit, windowMinutes: cap.windowMs / MINUTE_MS },
  });
}

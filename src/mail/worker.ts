// Delivers due outbox rows. A row is claimed with one conditional UPDATE (a lease), so
// several Gatehouse nodes can run workers against one database without sending twice.
import type { SecretBox } from '../crypto/index.ts';
import type { Db } from '../storage/index.ts';
import { MAX_ATTEMPTS, retryDelayMs } from './outbox.ts';
import type { MailTransport } from './transports.ts';

const LEASE_MS = 60_000;
const BATCH = 20;

export interface MailWorker {
  /** Deliver everything due now; resolves when this pass is done. */
  runOnce(): Promise<number>;
  /** Ask for a pass soon (after a commit that queued mail). */
  poke(): void;
  start(intervalMs?: number): void;
  stop(): Promise<void>;
}

export function createMailWorker(deps: {
  db: Db;
  secrets: SecretBox;
  transport: MailTransport;
  from: string;
  clock: () => number;
  onError?: (error: unknown) => void;
}): MailWorker {
  const { db, secrets, transport, from, clock } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let again = false;

  async function deliver(id: string): Promise<boolean> {
    const now = clock();
    const claimed = await db
      .updateTable('outbox')
      .set((eb) => ({ locked_until: now + LEASE_MS, attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .returningAll()
      .executeTakeFirst();
    if (!claimed || claimed.payload === null) return false;
    try {
      const body = JSON.parse(secrets.decrypt(claimed.payload, `outbox:${claimed.id}`)) as { html: string; text: string };
      await transport.send({
        outboxId: claimed.id,
        companyId: claimed.company_id,
        from,
        to: claimed.recipient,
        subject: claimed.subject,
        html: body.html,
        text: body.text,
      });
      await db
        .updateTable('outbox')
        .set({ status: 'sent', sent_at: clock(), payload: null, locked_until: null, last_error: null })
        .where('id', '=', claimed.id)
        .execute();
      return true;
    } catch (error) {
      const failedForGood = claimed.attempts >= MAX_ATTEMPTS;
      await db
        .updateTable('outbox')
        .set({
          status: failedForGood ? 'failed' : 'pending',
          payload: failedForGood ? null : claimed.payload,
          next_attempt_at: clock() + retryDelayMs(claimed.attempts),
          locked_until: null,
          last_error: String(error instanceof Error ? error.message : error).slice(0, 500),
        })
        .where('id', '=', claimed.id)
        .execute();
      deps.onError?.(error);
      return false;
    }
  }

  async function pass(): Promise<number> {
    let sent = 0;
    const due = await db
      .selectFrom('outbox')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', clock())
      .orderBy('created_at')
      .limit(BATCH)
      .execute();
    for (const row of due) if (await deliver(row.id)) sent += 1;
    return sent;
  }

  async function runOnce(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      do {
        again = false;
        total += await pass();
      } while (again);
      return total;
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  const reportErrors = (p: Promise<unknown>) => p.catch((error) => deps.onError?.(error));

  return {
    runOnce,
    poke: () => void reportErrors(runOnce()),
    start(intervalMs = 2000) {
      timer = setInterval(() => void reportErrors(runOnce()), intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running?.catch(() => {});
      transport.close();
    },
  };
}

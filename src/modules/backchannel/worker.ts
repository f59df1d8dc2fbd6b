// Delivers due back-channel logout notices. A notice is claimed with one conditional
// UPDATE (a lease), so several nodes can run workers on one database without sending
// twice. The logout token is made and signed by the provider itself, at delivery (so
// every retry carries a fresh token): oidc-provider's Client#backchannelLogout signs it
// with the provider's keys (typ logout+jwt; iss, aud, iat, exp, jti, events, sub, sid)
// and posts it through the provider's fetch, which keeps its SSRF rules (loopback
// allowed, see provider.ts). A module that answers anything but 200/204, or cannot be
// reached, is retried with backoff; after MAX_ATTEMPTS the notice is marked failed and
// stays visible in backchannel_outbox with its last error.
//
// Each module is delivered to on its own: a pass takes a fair share of each module's due
// notices (dueByGroup: at most PER_MODULE each, every module's first before any second),
// and a module still being delivered to on this node is left to that delivery. A module
// whose endpoint hangs (each POST is cut after the provider's 2.5 s) or answers slowly
// keeps only its own notices waiting: the next pass, a second later, delivers the others'.
import type Provider from 'oidc-provider';
import { auditRetention } from '../../audit/index.ts';
import type { Db, WorkerReports } from '../../storage/index.ts';
import { leasedJobs } from '../../storage/leased-jobs.ts';
import { MAX_ATTEMPTS, retryDelayMs } from './outbox.ts';
import { sweepExpiredRecords } from '../oidc/expired-records.ts';

/** The most notices of one module a pass takes, and so in flight to it from one node. */
const PER_MODULE = 20;
/** The most notices a pass takes in all. */
const BATCH = 200;
/** Housekeeping (below) runs at most this often. */
const SWEEP_EVERY_MS = 10 * 60_000;
/** Delivered notices stay visible this long. */
const KEEP_SENT_MS = 30 * 24 * 3_600_000;

type Send = (this: unknown, sub: string, sid: string | undefined) => Promise<void>;
const originalSend = new WeakMap<object, Send>();

/**
 * The provider sends a logout notice itself when a module starts the logout; route those
 * through the outbox too, so they get the same retries. Call once per provider built.
 */
export function queueProviderNotices(provider: Provider, enqueue: (clientId: string, sub: string, sid: string | null) => Promise<void>) {
  const prototype = provider.Client.prototype as unknown as { backchannelLogout: Send };
  originalSend.set(provider, prototype.backchannelLogout);
  prototype.backchannelLogout = async function queued(this: unknown, sub: string, sid: string | undefined) {
    await enqueue((this as { clientId: string }).clientId, sub, sid ?? null);
  };
}

async function sendNow(provider: Provider, clientId: string, sub: string, sid: string | null): Promise<void> {
  const send = originalSend.get(provider);
  const client = await provider.Client.find(clientId);
  if (!send || !client) throw new Error('module not found');
  if (!client.backchannelLogoutUri) return; // the URI was removed: nothing to tell
  await send.call(client, sub, sid ?? undefined);
}

export interface BackchannelWorker {
  runOnce(): Promise<number>;
  start(intervalMs?: number): void;
  stop(): Promise<void>;
}

export function createBackchannelWorker(deps: {
  db: Db;
  clock: () => number;
  provider: () => Provider;
  /** Days the audit trail keeps its events (GATEHOUSE_AUDIT_RETENTION_DAYS); undefined: all. */
  auditRetentionDays?: number | undefined;
  /** Where failed passes (deliveries, sweeps, audit retention) and failed deliveries are told (storage/worker-reports.ts). */
  reports?: WorkerReports;
  /** The browser sessions' share of the clean-up (src/users/session-sweep.ts), run with the sweeps below. */
  sweepSessions?: (now: number) => Promise<void>;
}): BackchannelWorker {
  const { db, clock } = deps;
  let timer: NodeJS.Timeout | undefined;
  const jobs = leasedJobs(db, 'backchannel_outbox', clock, { maxAttempts: MAX_ATTEMPTS, delayMs: retryDelayMs });
  /** The delivery in flight to each module from this node (by client_id): what it delivered. */
  const deliveries = new Map<string, Promise<number>>();
  /** Every pass not finished yet (passes overlap while a slow module's delivery lasts). */
  const passes = new Set<Promise<number>>();

  async function deliver(id: string): Promise<boolean> {
    const claimed = await jobs.claim(id);
    if (!claimed) return false;
    try {
      await sendNow(deps.provider(), claimed.client_id, claimed.account_id, claimed.sid);
    } catch (error) {
      // Recorded first: a database that cannot take it throws from here, a failed pass.
      await jobs.notDelivered(claimed, error);
      deps.reports?.undelivered(error);
      return false;
    }
    // Outside the try: a database failing here is no failure of the module's (the pass
    // fails; the notice, still leased, goes again once its lease ends).
    await jobs.delivered(claimed);
    return true;
  }

  let lastSweep = 0;
  const auditTrail = auditRetention(db, deps.auditRetentionDays);
  /**
   * The provider's expired records (expired-records.ts), the bindings of grants that are
   * gone (expired, revoked, or of sessions that timed out and were never ended by anyone)
   * and old delivered notices are removed now and then.
   */
  async function sweep(now: number) {
    if (now - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = now;
    await deps.sweepSessions?.(now);
    await sweepExpiredRecords(db, now);
    await db
      .deleteFrom('module_grant_sessions')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('oidc_records')
              .select('oidc_records.id')
              .where('oidc_records.model', '=', 'Grant')
              .whereRef('oidc_records.id', '=', 'module_grant_sessions.grant_id'),
          ),
        ),
      )
      .execute();
    await db.deleteFrom('backchannel_outbox').where('status', '=', 'sent').where('sent_at', '<', now - KEEP_SENT_MS).execute();
  }

  /**
   * Starts delivering the due notices of every module not being delivered to already,
   * each module's on its own. One pass picks at a time, so two passes of this node never
   * pick the same module's notices; across nodes the claim (one conditional UPDATE) keeps
   * a notice to one delivery.
   */
  let picking: Promise<unknown> = Promise.resolve();
  let waitingToPick = 0;
  function pickDue(): Promise<Promise<number>[]> {
    waitingToPick += 1;
    const picked = picking.then(async () => {
      const due = await jobs.dueByGroup('client_id', { perGroup: PER_MODULE, limit: BATCH, except: [...deliveries.keys()] });
      return [...Map.groupBy(due, (notice) => notice.group)].map(([clientId, notices]) => {
        const delivery = Promise.all(notices.map((notice) => deliver(notice.id)))
          .then((results) => results.filter(Boolean).length)
          .finally(() => deliveries.delete(clientId));
        deliveries.set(clientId, delivery);
        return delivery;
      });
    });
    picking = picked.catch(() => {}).finally(() => (waitingToPick -= 1));
    return picked;
  }

  let cleaning: Promise<void> | undefined;
  function cleanUp(): Promise<void> {
    cleaning ??= (async () => {
      await sweep(clock());
      await auditTrail.step(clock());
    })().finally(() => {
      cleaning = undefined;
    });
    return cleaning;
  }

  async function pass(): Promise<number> {
    // Sign-outs first: a module must hear of one within the pass it is due in, whatever
    // the clean-up after it has to do (an expired-records or audit backlog).
    const delivered = (await Promise.all(await pickDue())).reduce((sum, n) => sum + n, 0);
    // Then the clean-up, each part bounded per pass (expired-records.ts, audit/retention.ts),
    // so a notice that falls due meanwhile waits at most that share for the next pass; a
    // pass that finds one under way waits for it rather than start another.
    await cleanUp();
    return delivered;
  }

  /** One pass: resolves once the deliveries it started and the clean-up are done, with how many were delivered. */
  function runOnce(): Promise<number> {
    const running = pass();
    passes.add(running);
    void running.catch(() => {}).finally(() => passes.delete(running));
    return running;
  }

  return {
    runOnce,
    start(intervalMs = 1000) {
      // A pass begins every interval, even while an earlier one waits on a slow module
      // (that module is left out of it); not while an earlier one has yet to pick, so a
      // database that stopped answering does not gather a queue of passes.
      timer = setInterval(() => {
        if (waitingToPick > 0) return;
        void runOnce().then(
          () => deps.reports?.passed(),
          (error: unknown) => deps.reports?.failed(error),
        );
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await Promise.allSettled([...passes, ...deliveries.values()]);
      await auditTrail.stop(clock()).catch((error: unknown) => deps.reports?.failed(error));
    },
  };
}

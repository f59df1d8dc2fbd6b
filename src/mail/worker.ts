// Delivers due outbox rows, claimed under a lease (src/storage/leased-jobs.ts), so several
// Gatehouse nodes can run workers against one database without sending twice.
import { AsyncResource } from 'node:async_hooks';
import type { SecretBox } from '../crypto/index.ts';
import type { Db, WorkerReports } from '../storage/index.ts';
import { leasedJobs } from '../storage/leased-jobs.ts';
import type { UsersTable } from '../storage/schema.ts';
import { MAX_ATTEMPTS, retryDelayMs, type AddressedRole } from './outbox.ts';
import { isPermanentRefusal, type MailTransport } from './transports.ts';

const BATCH = 20;
/** The most mails of one company a pass takes (a fair share: pass(), below). */
const PER_COMPANY = 5;

/** The users' roles that hold each role mail is sent for (outbox.for_role). */
const HOLDERS: Record<AddressedRole, readonly UsersTable['role'][]> = {
  master: ['master', 'root_master'],
};

/** Who may get a mail sent for `forRole`, as stored: null, mail for the person as themselves, whatever their role. */
function holdersOf(forRole: unknown): readonly UsersTable['role'][] | null {
  if (forRole === null || forRole === undefined) return null;
  // A role this code does not know (none is written so) is held by no one: withdrawn.
  return typeof forRole === 'string' && Object.hasOwn(HOLDERS, forRole) ? HOLDERS[forRole as AddressedRole] : [];
}

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
  /** Where its passes' failures and delivery failures are told (storage/worker-reports.ts); none: not told. */
  reports?: WorkerReports;
}): MailWorker {
  const { db, secrets, transport, from, clock } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let again = false;
  const jobs = leasedJobs(db, 'outbox', clock, { maxAttempts: MAX_ATTEMPTS, delayMs: retryDelayMs });

  /**
   * Whether the person a mail is for is still one of its company's people: not deleted,
   * not deactivated, the company not suspended; and, when it went to them for a role (a
   * notice to the Masters), one who still holds it. Mail waits in the outbox (a day of
   * retries while a server defers it); what a removal revoked must not reach them after it,
   * nor what only a Master may read reach a Master made a User. Checked at each attempt, so
   * one made a Master again before it went gets it: a Master reads the same in the trail.
   */
  async function stillAddressed(companyId: string | null, userId: string, forRole: unknown): Promise<boolean> {
    const holders = holdersOf(forRole);
    if (companyId === null || holders?.length === 0) return false;
    let person = db
      .selectFrom('users')
      .innerJoin('companies', 'companies.id', 'users.company_id')
      .select('users.id')
      .where('users.company_id', '=', companyId)
      .where('users.id', '=', userId)
      .where('users.status', '!=', 'disabled')
      .where('companies.status', '=', 'active');
    if (holders) person = person.where('users.role', 'in', holders);
    return (await person.executeTakeFirst()) !== undefined;
  }

  async function deliver(id: string): Promise<boolean> {
    const claimed = await jobs.claim(id);
    if (!claimed) return false;
    // Only a row delivered or given up on loses its payload, and neither is pending: should
    // one be found pending anyway, it is settled, never claimed again and again.
    if (claimed.payload === null) {
      await jobs.notDelivered(claimed, 'nothing left to send', {}, true);
      return false;
    }
    // Read as stored (the table's type marks them as ones the insert may leave out).
    const userId: unknown = claimed.user_id;
    const forRole: unknown = claimed.for_role;
    if (typeof userId === 'string' && !(await stillAddressed(claimed.company_id, userId, forRole))) {
      // Withdrawn, not failed (no alert on gatehouse_outbox_failed for it): the row goes,
      // its address and body with it, as the person it was for went; their removal is in
      // the audit trail.
      await db.deleteFrom('outbox').where('id', '=', claimed.id).where('locked_until', '=', claimed.locked_until).execute();
      return false;
    }
    const payload = claimed.payload;
    try {
      const body = JSON.parse(secrets.decrypt(payload, `outbox:${claimed.id}`)) as { html: string; text: string };
      await jobs.whileHeld(claimed, () =>
        transport.send({
          outboxId: claimed.id,
          companyId: claimed.company_id,
          from,
          to: claimed.recipient,
          subject: claimed.subject,
          html: body.html,
          text: body.text,
        }),
      );
    } catch (error) {
      // A server that refused this message for good (a 5xx to its recipient or content)
      // would refuse it at every attempt: it fails now, its body erased like on giving up.
      // Recorded first: a database that cannot take it throws from here, a failed pass.
      await jobs.notDelivered(claimed, error, { payload: null }, isPermanentRefusal(error));
      deps.reports?.undelivered(error);
      return false;
    }
    // The payload can hold a live link: it does not outlive delivery, or giving up. Outside
    // the try: a database failing here is no refusal of the server's (the pass fails; the
    // message, still leased, goes again once its lease ends: at least once, as documented).
    await jobs.delivered(claimed, { payload: null });
    return true;
  }

  /**
   * A pass takes fair shares of each company's due mail (dueByGroup: at most PER_COMPANY
   * each a share, every company's first before any second), oldest first within a company: one
   * company's backlog (a Master's notices, an API client's invitations) never holds another
   * company's reset link or invitation behind it. Mail of no company (account requests,
   * forgotten company names) is one group of its own.
   */
  async function pass(): Promise<number> {
    let sent = 0;
    // Share after share, up to BATCH in all: a company with more due gets its next five
    // once every other company's due mail has had its turn.
    for (let taken = 0; taken < BATCH; ) {
      const due = await jobs.dueByGroup('company_id', { perGroup: PER_COMPANY, limit: BATCH - taken });
      if (due.length === 0) break;
      taken += due.length;
      for (const { id } of due) if (await deliver(id)) sent += 1;
    }
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

  /** A pass the worker started itself (its timer, a poke): how it went is reported. */
  const reportErrors = (p: Promise<unknown>) =>
    p.then(
      () => deps.reports?.passed(),
      (error: unknown) => deps.reports?.failed(error),
    );

  return {
    runOnce,
    // Bound to the context the worker was made in (the node's start): a request that wakes
    // it must not lend the pass its own context, which names who the request acts for and
    // has every transaction begun in it checked against that actor (acting-transactions.ts).
    poke: AsyncResource.bind(() => void reportErrors(runOnce())),
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

// How many CSV downloads (the audit trail, MFA compliance) may be in flight at once. A
// download holds its rows in memory (a batch of up to 1,000 audit events, a whole
// compliance report) until the client has read them, and a client that stops reading keeps
// the response, and that memory, for as long as its connection stays open. Without a cap
// one signed-in Master or API client could open downloads by the hundred and pin the
// node's memory. So each person or API client may have DOWNLOADS_PER_ACTOR in flight, each
// company DOWNLOADS_PER_COMPANY (its Masters and API clients together: one tenant cannot
// take every place and close downloads to the others), and the node DOWNLOADS_PER_NODE in
// all; past any of them the request is refused at once with 429 and Retry-After, before
// any query runs.
//
// A slot lives exactly as long as its response: Node emits 'close' on a ServerResponse once
// it has been sent, and also when its connection closes first (a client that stops reading
// and then goes away, a stream that fails part-way, a pipelined response still queued
// behind another), so there is no path on which a slot outlives its response. The counts
// are per process (one Gatehouse app per process), kept in memory: nothing to clean up.
//
// A client that stops reading would hold its slots, and its share of the node's, for as
// long as it keeps the connection open: eight such actors would close downloads to
// everyone. So a download that is waiting for its client to take more (its response's
// buffers full, writableNeedDrain) and sees no 'drain' for GATEHOUSE_DOWNLOAD_STALL_SECONDS
// is cut off. A slow reader drains now and then and goes on; the wait for the database
// before the first byte is not a stall.
import type { FastifyReply } from 'fastify';
import { GatehouseError } from '../errors.ts';
import type { CoreDeps } from '../shared/deps.ts';

export const DOWNLOADS_PER_ACTOR = 2;
/** About 16 times the few MiB a stalled download holds: a bound the node can carry. */
export const DOWNLOADS_PER_NODE = 16;
/** Half the node's: whatever one company holds, another always finds room. */
export const DOWNLOADS_PER_COMPANY = DOWNLOADS_PER_NODE / 2;
/** When to try again: a refused download waits for another to end, which cannot be foretold. */
const RETRY_AFTER_SECONDS = 5;

/**
 * Who a download counts against: a person (console) or an API client (/api/v1), and the
 * company they belong to (an operator's is the platform's; a platform client has none, and
 * the platform's clients count together).
 */
export type DownloadActor = ({ userId: string } | { apiClientId: string }) & { companyId: string | null };

const keyOf = (actor: DownloadActor) => ('userId' in actor ? `user:${actor.userId}` : `api_client:${actor.apiClientId}`);
const companyKeyOf = (actor: DownloadActor) => `company:${actor.companyId ?? 'platform clients'}`;

/** One more held under `key`, or one fewer (gone at none). */
function count(map: Map<string, number>, key: string, by: 1 | -1): void {
  const next = (map.get(key) ?? 0) + by;
  if (next > 0) map.set(key, next);
  else map.delete(key);
}

export class DownloadSlots {
  readonly #byActor = new Map<string, number>();
  readonly #byCompany = new Map<string, number>();
  #inFlight = 0;
  readonly #stallMs: number;

  constructor(stallMs: number) {
    this.#stallMs = stallMs;
  }

  /**
   * Takes a slot for `actor` for as long as `reply`'s response lives, or throws 429
   * (download.too_many_running, or download.server_busy) with Retry-After. Call it before
   * the download's first query, so a refused request costs nothing.
   */
  hold(reply: FastifyReply, actor: DownloadActor): void {
    const key = keyOf(actor);
    const companyKey = companyKeyOf(actor);
    const refused =
      (this.#byActor.get(key) ?? 0) >= DOWNLOADS_PER_ACTOR
        ? 'download.too_many_running'
        : this.#inFlight >= DOWNLOADS_PER_NODE || (this.#byCompany.get(companyKey) ?? 0) >= DOWNLOADS_PER_COMPANY
          ? 'download.server_busy'
          : undefined;
    if (refused) {
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      throw new GatehouseError(refused);
    }
    count(this.#byActor, key, 1);
    count(this.#byCompany, companyKey, 1);
    this.#inFlight += 1;

    const response = reply.raw;
    let drains = 0;
    let drainsSeen = 0;
    const drained = () => (drains += 1);
    response.on('drain', drained);
    const watchdog = setInterval(() => {
      if (response.writableNeedDrain && drains === drainsSeen) response.destroy();
      drainsSeen = drains;
    }, this.#stallMs);
    watchdog.unref();

    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearInterval(watchdog);
      response.off('drain', drained);
      this.#inFlight -= 1;
      count(this.#byActor, key, -1);
      count(this.#byCompany, companyKey, -1);
    };
    response.once('close', release);
    // A connection that closed before the handler ran has already emitted 'close'.
    if (response.closed || response.destroyed) release();
  }
}

// One set of slots per app, shared by the console's and the API's routes (both get the
// same deps), without a global: two apps in one process (tests) count apart.
const slotsOfApp = new WeakMap<CoreDeps, DownloadSlots>();

export function downloadSlotsOf(deps: CoreDeps): DownloadSlots {
  let slots = slotsOfApp.get(deps);
  if (!slots) {
    slots = new DownloadSlots(deps.config.downloadStallMs);
    slotsOfApp.set(deps, slots);
  }
  return slots;
}

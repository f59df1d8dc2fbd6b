// One node on all its cores (GATEHOUSE_WORKERS): the primary process migrates the database
// once, then forks workers that each run a whole Gatehouse and share the listening port
// (node:cluster hands out connections). Workers keep nothing of their own that another
// must see: sessions, codes, counters, TOTP steps and the outboxes live in the database, as
// they do for several nodes on one PostgreSQL. On SQLite the workers share one file in WAL
// mode: readers never block, one writer at a time, every write transaction takes the
// write lock as it begins (BEGIN IMMEDIATE) and a busy worker waits up to 5 s for it
// (src/storage/sqlite.ts), so single-use and lockout updates stay atomic across workers.
// Metrics: the primary answers the metrics port with every worker's numbers summed.
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { scrapeListener } from './http/scrape-listener.ts';
import type { Config } from './config.ts';
import type { Metrics } from './metrics/index.ts';
import { openStorage } from './storage/index.ts';
import { withYoungGenerationLimit } from './v8-flags.ts';

/** How long a worker that died is given before the next restart, so a crash loop does not spin. */
const RESTART_DELAY_MS = 1000;
/**
 * Workers that end before they are ready (listening), counted across the node and reset by
 * any worker becoming ready; at `config.workers` times this many the primary gives up. A
 * cause that lasts (the port taken, a bad certificate, an unreadable file) fails every
 * start alike: a single process exits 1 at once, and a primary that retried forever would
 * never let the service manager see the failure (Restart=on-failure, its start limit and
 * alerts). Three rounds, a second apart, still ride out a cause that clears by itself, such
 * as the previous process letting go of the port during a restart.
 */
const START_ROUNDS = 3;

/** What a worker tells the primary over the cluster's channel. */
type WorkerReport = { gatehouse: 'ready' } | { gatehouse: 'start-failed'; reason: string };
const isWorkerReport = (message: unknown): message is WorkerReport =>
  typeof message === 'object' && message !== null && 'gatehouse' in message;

export const isClusterWorker = () => cluster.isWorker;
/** The first worker says what a single process would (the banner, the first operator's link). */
export const isFirstWorker = () => !cluster.isWorker || cluster.worker?.id === 1;

/** In a worker: it listens, so the node serves (a later death is a crash, not a failed start). */
export function reportReady(): void {
  process.send?.({ gatehouse: 'ready' } satisfies WorkerReport);
}

/** In a worker that could not start: tell the primary why (it names it if it gives up), then exit 1. */
export function exitAfterStartFailure(reason: string): void {
  if (!process.send || !process.connected) process.exit(1);
  process.send({ gatehouse: 'start-failed', reason } satisfies WorkerReport, undefined, {}, () => process.exit(1));
}

/**
 * In the primary: migrate, fork `config.workers` workers, keep them running, stop them on a
 * signal. Settles only when the workers cannot start: it rejects, naming the last one's error.
 */
export async function runPrimary(config: Config, log: (line: string) => void): Promise<never> {
  const storage = await openStorage(config.database);
  await storage.close();
  let stopping = false;
  let giveUp: (error: Error) => void = () => {};
  const gaveUp = new Promise<never>((_, reject) => (giveUp = reject));
  // Workers get the memory flag even when the primary was started without it.
  cluster.setupPrimary({ execArgv: withYoungGenerationLimit(process.execArgv) });
  const fork = () => {
    if (!stopping) cluster.fork();
  };
  const ready = new Set<number>();
  const reasons = new Map<number, string>();
  let failedStarts = 0;
  let scrapes: Server | undefined;
  cluster.on('message', (worker, message: unknown) => {
    if (!isWorkerReport(message)) return; // prom-client's metric requests share the channel
    if (message.gatehouse === 'ready') {
      ready.add(worker.id);
      failedStarts = 0;
    } else {
      reasons.set(worker.id, message.reason);
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const ended = signal ?? code;
    const reason = reasons.get(worker.id) ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
    reasons.delete(worker.id);
    if (ready.delete(worker.id)) {
      log(`worker ${worker.process.pid} ended (${ended}); starting another`);
    } else if (++failedStarts >= START_ROUNDS * config.workers) {
      stopping = true;
      scrapes?.close();
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
      giveUp(new Error(`no worker could start (${failedStarts} tries in a row); the last: ${reason}`));
      return;
    } else {
      log(`worker ${worker.process.pid} could not start (${reason}); starting another`);
    }
    // Not unref'd: while every worker is down, this timer is what keeps the primary alive.
    setTimeout(fork, RESTART_DELAY_MS);
  });
  for (let i = 0; i < config.workers; i++) fork();
  if (config.metrics.port !== undefined) scrapes = await aggregatedMetrics(config);
  const stop = (signal: string) => {
    stopping = true;
    log(`${signal}: stopping ${Object.keys(cluster.workers ?? {}).length} workers`);
    scrapes?.close();
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal as NodeJS.Signals);
    cluster.disconnect(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return gaveUp;
}

/** In a worker: let the primary collect this worker's registry, where the node keeps metrics. */
export async function reportMetricsToPrimary(metrics: Metrics) {
  if (!metrics.registry) return;
  const { AggregatorRegistry } = await import('prom-client');
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([metrics.registry]);
}

async function aggregatedMetrics(config: Config): Promise<Server> {
  const { AggregatorRegistry } = await import('prom-client');
  const aggregator = new AggregatorRegistry();
  const server = scrapeListener(async () => ({ type: aggregator.contentType, body: await aggregator.clusterMetrics() }), config);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(config.metrics.port, config.metrics.host, resolve));
  return server;
}

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

export const isClusterWorker = () => cluster.isWorker;
/** The first worker says what a single process would (the banner, the first operator's link). */
export const isFirstWorker = () => !cluster.isWorker || cluster.worker?.id === 1;

/** In the primary: migrate, fork `config.workers` workers, keep them running, stop them on a signal. */
export async function runPrimary(config: Config, log: (line: string) => void): Promise<void> {
  const storage = await openStorage(config.database);
  await storage.close();
  let stopping = false;
  // Workers get the memory flag even when the primary was started without it.
  cluster.setupPrimary({ execArgv: withYoungGenerationLimit(process.execArgv) });
  const fork = () => cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    log(`worker ${worker.process.pid} ended (${signal ?? code}); starting another`);
    setTimeout(fork, RESTART_DELAY_MS).unref();
  });
  for (let i = 0; i < config.workers; i++) fork();
  const scrapes = config.metrics.port === undefined ? undefined : await aggregatedMetrics(config);
  const stop = (signal: string) => {
    stopping = true;
    log(`${signal}: stopping ${Object.keys(cluster.workers ?? {}).length} workers`);
    scrapes?.close();
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal as NodeJS.Signals);
    cluster.disconnect(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
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

// A node's metrics, or none. Metrics exist to be scraped, so a node with no metrics
// endpoint (neither GATEHOUSE_METRICS_PORT nor GATEHOUSE_METRICS_TOKEN, the default) keeps
// none: prom-client is not loaded (about 2 MiB of heap, with its event-loop monitor), and
// no request, statement or commit is timed for nothing (docs/PERFORMANCE-LOG.md,
// fifteenth pass).
import type { Registry } from 'prom-client';
import type { PasswordHasher } from '../crypto/index.ts';
import type { Config } from '../config.ts';
import type { ConnectionFailure, Storage } from '../storage/index.ts';

export interface Metrics {
  /** Undefined when the node keeps no metrics: nothing is recorded, and nothing is served. */
  readonly registry: Registry | undefined;
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  countLoginStep(step: string, outcome: 'ok' | 'refused' | 'error'): void;
  observeQuery(sql: string, seconds: number, failed: boolean): void;
  /** One SQLite group commit: the statements it held, how long its COMMIT took, whether it waited for the disk. */
  observeCommit(statements: number, seconds: number, flushed: boolean): void;
  /** PostgreSQL: a connection that could not be had, was lost, or was closed for a statement that got no answer in time. */
  countConnectionFailure(kind: ConnectionFailure): void;
  /** Called once the storage, hasher and database exist: gauges read them at scrape time. */
  watch(parts: { storage: Storage; hasher: PasswordHasher }): void;
}

const ignore = () => {};

/** What a node with no metrics endpoint records: nothing. */
const NO_METRICS: Metrics = Object.freeze({
  registry: undefined,
  observeRequest: ignore,
  countLoginStep: ignore,
  observeQuery: ignore,
  observeCommit: ignore,
  countConnectionFailure: ignore,
  watch: ignore,
});

/** The metrics of a node whose configuration gives them somewhere to be scraped; else none. */
export async function openMetrics(settings: Config['metrics']): Promise<Metrics> {
  if (settings.port === undefined && settings.token === undefined) return NO_METRICS;
  const { createMetrics } = await import('./registry.ts');
  return createMetrics();
}

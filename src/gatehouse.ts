// The composition root: configuration -> storage -> capabilities -> HTTP. main.ts, the
// CLI and the tests all build Gatehouse through here, so they run the same thing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Config } from './config.ts';
import { createPasswordHasher, createSecretBox, deriveKey, type HashCost } from './crypto/index.ts';
import { retagCredentials } from './api-clients/index.ts';
import { buildHttpApp } from './http/app.ts';
import { scrapeListener } from './http/scrape-listener.ts';
import { createOidcService, type OidcService } from './modules/index.ts';
import { sweepSessions } from './users/index.ts';
import { createMailboxTransport, createMailWorker, createSmtpTransport, type MailWorker } from './mail/index.ts';
import { resolveSecretKey } from './secret-key.ts';
import type { CoreDeps } from './shared/deps.ts';
import { systemClock, type Clock } from './shared/clock.ts';
import { PACKAGE_ROOT } from './shared/package-root.ts';
import { describeDatabaseError, isDatabaseUnavailable, isTransactionConflict, openStorage, workerReports, type Storage, type WorkerLog } from './storage/index.ts';
import { exposition, openMetrics, type Metrics } from './metrics/index.ts';
import { releaseMemoryWhenQuiet, type MemoryRelease } from './memory-release.ts';
import { ANSWER_FLOOR_MS } from './shared/answer-floor.ts';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const WEB_DIST = path.join(PACKAGE_ROOT, 'web', 'dist');

export interface Gatehouse {
  deps: CoreDeps;
  storage: Storage;
  mailWorker: MailWorker;
  oidc: OidcService;
  http: FastifyInstance;
  metrics: Metrics;
  /** Listens on the configured host and port (0 = any free port); returns the address. */
  listen(): Promise<string>;
  /** Where the metrics listener answers once listening (GATEHOUSE_METRICS_PORT), else undefined. */
  metricsUrl(): string | undefined;
  close(): Promise<void>;
}

export interface GatehouseOptions {
  clock?: Clock;
  logger?: FastifyServerOptions['logger'];
  /** Deliver mail only when asked (tests drive the worker themselves). */
  mailWorkerIntervalMs?: number | null;
  /** Start the metrics listener when GATEHOUSE_METRICS_PORT is set (a cluster's primary serves it instead). */
  metricsListener?: boolean;
  /** How often due back-channel logout notices are looked for (null: only when asked). */
  backchannelWorkerIntervalMs?: number | null;
  /**
   * The least time a neutral answer takes (ANSWER_FLOOR_MS unless given). Tests that do not
   * measure the floor shorten it, so that hundreds of failed logins do not wait it out; it
   * is deliberately not a setting (GATEHOUSE_*): nothing in production may lower it.
   */
  answerFloorMs?: number;
  /**
   * What a new password hash costs (OWASP_HASH_COST unless given). The test suite makes
   * thousands of hashes and measures none of them, so its servers hash cheaper; like the
   * floor, deliberately not a setting: every hash a deployment makes is at OWASP's cost.
   */
  passwordHashCost?: HashCost;
}

/** Before the server's logger exists (and in the CLI, which has none): plain lines on stderr. */
const PLAIN_LOG: WorkerLog = {
  warn: (fields, message) => console.warn(`${message}: ${JSON.stringify(fields)}`),
  error: (fields, message) => console.error(`${message}: ${JSON.stringify(fields)}`),
};

/**
 * The background workers' reports (storage/worker-reports.ts), one outage state for the
 * node; written to the server's JSON logger once it exists (`logTo`).
 */
function backgroundReports() {
  let log = PLAIN_LOG;
  return { of: workerReports(() => log), logTo: (next: WorkerLog) => void (log = next) };
}

/**
 * An error the provider met answering a request. An outage (answered 503) is logged as
 * every route's is (http/error-handler.ts): at warn, code and message only; anything else
 * is a bug, at error.
 */
function reportProviderError(log: FastifyInstance['log'], error: unknown) {
  if (isDatabaseUnavailable(error) || isTransactionConflict(error)) log.warn({ database: describeDatabaseError(error) }, 'database unavailable');
  else log.error({ err: error }, 'openid connect provider error');
}

/**
 * Sub-keys by purpose, derived once per process: HKDF is not free, and a key that stays the
 * same Buffer keeps its HMAC KeyObject made once too (crypto/tokens.ts). Never written to.
 */
function derivedKeys(secretKey: string): (purpose: string) => Buffer {
  const made = new Map<string, Buffer>();
  return (purpose) => {
    let key = made.get(purpose);
    if (!key) made.set(purpose, (key = deriveKey(secretKey, purpose)));
    return key;
  };
}

export async function createCore(config: Config, options: GatehouseOptions = {}) {
  const clock = options.clock ?? systemClock;
  const secretKey = resolveSecretKey(config);
  const secrets = createSecretBox([secretKey]);
  const metrics = await openMetrics(config.metrics);
  const storage = await openStorage(
    config.database,
    metrics.registry ? { onQuery: metrics.observeQuery, onCommit: metrics.observeCommit, onConnectionFailure: metrics.countConnectionFailure } : {},
  );
  const hasher = createPasswordHasher(config.argon2MaxConcurrency, options.passwordHashCost);
  metrics.watch({ storage, hasher });
  const background = backgroundReports();
  let poke = () => {};
  const deps: CoreDeps = {
    db: storage.db,
    config,
    secrets,
    hasher,
    clock,
    deriveKey: derivedKeys(secretKey),
    mailQueued: () => poke(),
    answerFloorMs: options.answerFloorMs ?? ANSWER_FLOOR_MS,
  };
  const transport = config.smtpUrl ? createSmtpTransport(config.smtpUrl) : createMailboxTransport(storage.db, clock);
  const mailWorker = createMailWorker({
    db: storage.db,
    secrets,
    transport,
    from: config.mailFrom,
    clock,
    reports: background.of('mail'),
  });
  poke = () => mailWorker.poke();
  return { deps, storage, mailWorker, metrics, background };
}

/**
 * The server's own logger: readable lines at a terminal, JSON lines elsewhere. Pretty
 * output is written synchronously so it keeps its place among what main.ts prints (the
 * banner with the first operator's link stays below the start-up lines).
 */
async function serverLogger(config: Config): Promise<FastifyServerOptions['logger']> {
  if (config.logFormat === 'json') return { level: config.logLevel };
  // Loaded only for a terminal: a service logs JSON and never needs it (30 modules).
  const { default: pinoPretty } = await import('pino-pretty');
  const stream = pinoPretty({ sync: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', singleLine: true });
  return { level: config.logLevel, stream };
}

export async function createGatehouse(config: Config, options: GatehouseOptions = {}): Promise<Gatehouse> {
  const { deps, storage, mailWorker, metrics, background } = await createCore(config, options);
  // A start that fails part-way (another secret key, an unreadable TLS file) closes what it
  // opened, latest first, and rethrows: a PostgreSQL pool left open would hold its
  // connections to the database until the process ends.
  const opened: (() => Promise<void>)[] = [() => storage.close(), () => mailWorker.stop()];
  let oidc: OidcService;
  let http: FastifyInstance;
  try {
    // Rows an older node wrote during the upgrade (retagCredentials says why).
    await retagCredentials(deps.db);
    const https = config.tls
      ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) }
      : undefined;
    oidc = await createOidcService(deps, {
      onError: (error) => reportProviderError(http.log, error),
      backchannelReports: background.of('logout'),
      sweepSessions: (now) => sweepSessions(deps.db, now),
      keyCheckReports: background.of('signing keys'),
      ...(storage.kind === 'sqlite' ? { durability: storage.durability } : {}),
    });
    opened.push(() => oidc.close());
    http = await buildHttpApp(deps, storage, {
      oidc,
      metrics,
      webDist: WEB_DIST,
      logger: options.logger ?? (await serverLogger(config)),
      ...(https ? { https } : {}),
    });
  } catch (error) {
    // The start's own error is the one to report; a close that fails too adds nothing.
    for (const close of opened.reverse()) await close().catch(() => {});
    throw error;
  }
  storage.reportConnectionLoss((loss) => http.log.warn({ database: loss }, 'database connection lost'));
  background.logTo(http.log);
  let scrapes: Server | undefined;
  let memoryRelease: MemoryRelease | undefined;
  if (options.mailWorkerIntervalMs !== null) mailWorker.start(options.mailWorkerIntervalMs ?? 2000);
  if (options.backchannelWorkerIntervalMs !== null) oidc.backchannel.start(options.backchannelWorkerIntervalMs ?? 1000);
  return {
    deps,
    storage,
    mailWorker,
    oidc,
    http,
    metrics,
    async listen() {
      const address = await http.listen({ port: config.port, host: config.host });
      const { port, host } = config.metrics;
      if (port !== undefined && options.metricsListener !== false) {
        const listener = scrapeListener(() => exposition(metrics), { requestTimeoutMs: config.requestTimeoutMs });
        await new Promise<void>((resolve, reject) => listener.once('error', reject).listen(port, host, resolve));
        scrapes = listener;
      }
      memoryRelease = releaseMemoryWhenQuiet();
      return address;
    },
    metricsUrl() {
      const address = scrapes?.address() as AddressInfo | null | undefined;
      if (!address) return undefined;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${host}:${address.port}/metrics`;
    },
    async close() {
      memoryRelease?.stop();
      await oidc.close();
      await http.close();
      if (scrapes) await new Promise<void>((resolve) => (scrapes as Server).close(() => resolve()));
      await mailWorker.stop();
      await storage.close();
    },
  };
}

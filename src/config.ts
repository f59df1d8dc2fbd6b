// Environment -> one typed, frozen configuration, parsed once at start-up.
// Every variable is documented in docs/CONFIG.md; keep the two in step.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { LOOPBACK_RANGES, parseAddressRanges, parseProxyTrust, type ProxyTrust } from './http/client-ip.ts';
import { isLoopbackHost } from './shared/loopback.ts';
import { name } from './contract/fields.ts';

/**
 * Every numeric variable: empty or blank is unset (its default), as a shell's `PORT=` or an
 * empty line in an env file means; otherwise decimal digits only. Number() would read ""
 * as 0 and take "0x50" and "1e3".
 */
const integer = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z
      .string()
      .trim()
      .regex(/^[0-9]+$/, 'must be a whole number in decimal digits')
      .transform(Number)
      .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
      .optional(),
  );
const port = integer(0, 65535);
const positiveInt = (max: number, min = 1) => integer(min, max);

/** A mailbox (`local@domain`), bare or after a display name: `Gatehouse <noreply@example.com>`. */
const MAILBOX = String.raw`[^\s@<>()\[\]\\,;:"]+@[^\s@<>()\[\]\\,;:"]+`;
const MAIL_FROM = new RegExp(`^(?:${MAILBOX}|(?:"[^"\\p{Cc}]*"|[^"<>\\p{Cc}]*)\\s*<${MAILBOX}>)$`, 'u');

/**
 * A name or a path: spaces around it are a pasting slip, not part of it ("/var/lib/gatehouse "
 * would start a new, empty installation beside the real one), as around a number.
 */
const setting = () => z.string().trim().min(1, 'must not be empty');

/**
 * An SMTP server's URL as nodemailer reads it, checked now rather than at the first mail
 * (which would then fail, and be retried for a day): a URL with a host, its user and
 * password percent-encoded (an unencoded "#" ends the URL there).
 */
function smtpUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL: write smtp://user:password@host:port, the user and password percent-encoded (# is %23, @ is %40)';
  }
  if (!url.hostname) return 'names no host: smtp://user:password@host:port';
  if (url.hash) return 'holds a "#": percent-encode it in the user or password (%23)';
  return undefined;
}

/**
 * Rows one company may hold unless the operator sets otherwise (Config.companyTotals):
 * generous for an MSP's largest customer, small beside what one tenant could otherwise
 * write into the database every tenant shares.
 */
export const DEFAULT_COMPANY_TOTALS = Object.freeze({ users: 10_000, groups: 1_000, ssoProviders: 10 });

const envSchema = z.object({
  PORT: port.default(3000),
  HOST: setting().default('127.0.0.1'),
  GATEHOUSE_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  GATEHOUSE_DATA_DIR: setting().default('./data'),
  GATEHOUSE_DATABASE_URL: z
    .string()
    .trim()
    .regex(/^(postgres(ql)?:\/\/|sqlite:)/, 'must start with postgres:// or sqlite:')
    .optional(),
  GATEHOUSE_SECRET_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64 (openssl rand -base64 32)')
    .optional(),
  // The platform company's name: held to the company name rules here, so a name they refuse
  // stops the start naming this variable, not later as a form's error.
  GATEHOUSE_PLATFORM_NAME: name('The platform name', 100, 2).default('Gatehouse'),
  GATEHOUSE_MAIL_FROM: z
    .string()
    .trim()
    .refine((value) => !/[\r\n]/.test(value), 'must be one line')
    .refine((value) => MAIL_FROM.test(value), 'must be an address, or a name and <address>: Gatehouse <noreply@example.com>')
    .default('Gatehouse <noreply@localhost>'),
  GATEHOUSE_SMTP_URL: z
    .string()
    .trim()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .superRefine((value, ctx) => {
      const problem = smtpUrlProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  GATEHOUSE_LINK_TTL_HOURS: positiveInt(24 * 30).default(24 * 7),
  GATEHOUSE_INVITES_PER_INVITER_HOUR: positiveInt(100_000).default(50),
  GATEHOUSE_INVITES_PER_COMPANY_DAY: positiveInt(1_000_000).default(200),
  GATEHOUSE_USERS_PER_COMPANY: positiveInt(1_000_000).default(DEFAULT_COMPANY_TOTALS.users),
  GATEHOUSE_GROUPS_PER_COMPANY: positiveInt(100_000).default(DEFAULT_COMPANY_TOTALS.groups),
  GATEHOUSE_SSO_PROVIDERS_PER_COMPANY: positiveInt(1_000).default(DEFAULT_COMPANY_TOTALS.ssoProviders),
  GATEHOUSE_ACCOUNT_REQUESTS_PER_HOUR: positiveInt(1_000_000).default(10),
  GATEHOUSE_API_RATE_LIMIT: positiveInt(1_000_000).default(600),
  GATEHOUSE_REQUEST_TIMEOUT_SECONDS: positiveInt(3600).default(30),
  GATEHOUSE_DOWNLOAD_STALL_SECONDS: positiveInt(3600).default(60),
  GATEHOUSE_AUDIT_RETENTION_DAYS: positiveInt(3650, 30).optional(),
  GATEHOUSE_TRUST_PROXY: z.string().default(''),
  GATEHOUSE_SSO_PRIVATE_NETWORKS: z.string().optional(),
  GATEHOUSE_MODULE_PRIVATE_NETWORKS: z.string().optional(),
  GATEHOUSE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'),
  GATEHOUSE_LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto'),
  GATEHOUSE_LOG_REQUESTS: z.enum(['true', 'false']).default('false'),
  GATEHOUSE_ARGON2_MAX_CONCURRENCY: positiveInt(64).optional(),
  GATEHOUSE_STRICT_RESPONSES: z.enum(['true', 'false']).optional(),
  NODE_ENV: z.string().optional(),
  GATEHOUSE_SQLITE_SYNCHRONOUS: z.enum(['full', 'normal']).default('full'),
  GATEHOUSE_POSTGRES_PREPARED: z.enum(['true', 'false']).default('true'),
  GATEHOUSE_WORKERS: z.union([z.literal('auto'), positiveInt(64)], { error: 'use a number from 1 to 64, or auto' }).default(1),
  GATEHOUSE_METRICS_PORT: port.optional(),
  GATEHOUSE_METRICS_HOST: setting().default('127.0.0.1'),
  GATEHOUSE_METRICS_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters (openssl rand -base64 32)')
    // An Authorization header cannot carry it: HTTP trims the ends, and a bearer token has no spaces.
    .refine((value) => !/[\s\p{Cc}]/u.test(value), 'must not contain spaces or control characters (openssl rand -base64 32)')
    .optional(),
  GATEHOUSE_TLS_CERT_FILE: setting().optional(),
  GATEHOUSE_TLS_KEY_FILE: setting().optional(),
});

export interface CompanyTotals {
  users: number;
  groups: number;
  ssoProviders: number;
}

export type Config = Readonly<{
  port: number;
  host: string;
  /** Origin every link and cookie decision is built from; never from request headers. */
  publicUrl: URL;
  dataDir: string;
  /** SQLite's `synchronous`: `full` unless the operator accepts losing the last commits to a power cut. */
  database: { kind: 'sqlite'; file: string; synchronous: 'full' | 'normal' } | { kind: 'postgres'; url: string; preparedStatements: boolean };
  /** Base64 AES-256 key; when absent one is generated and kept in the data folder. */
  secretKey: string | undefined;
  platformName: string;
  mailFrom: string;
  smtpUrl: string | undefined;
  linkTtlMs: number;
  /** Invitation emails (invites and resends) allowed per inviter per hour and per company per day. */
  inviteLimits: { perInviterHour: number; perCompanyDay: number };
  /**
   * The most rows of each kind one company may hold (users, invitees and deactivated ones
   * included; groups; single sign-on providers), so no one tenant fills the database every
   * tenant shares. Counted where each row is made, under the company's row lock.
   */
  companyTotals: CompanyTotals;
  /** Public account requests a client network may file in an hour. */
  accountRequestsPerHour: number;
  /** Requests per minute each API client may make to /api/v1. */
  apiRateLimit: number;
  /** A request's headers and body must have arrived within this (slow clients, below). */
  requestTimeoutMs: number;
  /** A CSV download whose client takes nothing for this long is cut off (src/http/csv-download-slots.ts). */
  downloadStallMs: number;
  /** Audit events are deleted once older than this many days (src/audit/retention.ts); undefined: kept forever. */
  auditRetentionDays: number | undefined;
  /** Which proxies may say who the client is (X-Forwarded-For); see docs/CONFIG.md. */
  trustProxy: ProxyTrust;
  /**
   * Networks besides the public Internet that requests to companies' OpenID Connect
   * providers may reach ("network/prefix"); by default this machine's loopback when the
   * public URL is on it (development), else none. See src/shared/outbound-fetch.ts.
   */
  ssoPrivateNetworks: readonly string[];
  /** The same for back-channel logout notices to modules (GATEHOUSE_MODULE_PRIVATE_NETWORKS). */
  modulePrivateNetworks: readonly string[];
  logLevel: string;
  /** Readable lines for a person at a terminal, JSON lines for a log collector. */
  logFormat: 'pretty' | 'json';
  /** A line per request (two: arrival and answer); off by default, so a terminal stays readable. */
  logRequests: boolean;
  argon2MaxConcurrency: number;
  /** A response with a field its schema lacks is an error (500), not quietly trimmed: on outside production. */
  strictResponses: boolean;
  /** Processes serving this node (src/cluster.ts); 1 = this process alone. */
  workers: number;
  /**
   * Where Prometheus scrapes GET /metrics: a listener of its own (port; 0 = any free port),
   * and/or the public port with a bearer token. Neither set: no metrics endpoint at all.
   */
  metrics: { port: number | undefined; host: string; token: string | undefined };
  /** Serve https directly (PEM files); usually a reverse proxy terminates TLS instead. */
  tls: { certFile: string; keyFile: string } | undefined;
  /** Cookies get `__Host-` and Secure only over https (plain http is for localhost). */
  secureCookies: boolean;
}>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Once per start, for the environment the process runs with (not a test's own), and not
  // again in each cluster worker.
  if (env === process.env && !cluster.isWorker) warnUnknownVariables(env);
  // One rule for every variable: set to nothing (`NAME=`, a blank placeholder in an env
  // file) is not set, and its default applies.
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value === undefined || value.trim() !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}\nSee docs/CONFIG.md.`);
  }
  const e = parsed.data;
  // Links, cookies and the OpenID issuer are made from the public URL before the port is
  // bound: "any free port" must come with the address browsers reach.
  if (e.PORT === 0 && e.GATEHOUSE_PUBLIC_URL === undefined) {
    throw new ConfigError('Invalid configuration:\n  PORT: 0 (any free port) needs GATEHOUSE_PUBLIC_URL, the address browsers reach Gatehouse at');
  }
  const publicUrl = new URL(e.GATEHOUSE_PUBLIC_URL ?? `http://localhost:${e.PORT}`);
  if (publicUrl.pathname !== '/' || publicUrl.search || publicUrl.hash) {
    throw new ConfigError('Invalid configuration:\n  GATEHOUSE_PUBLIC_URL: must be an origin without path, query or fragment');
  }
  if (publicUrl.username || publicUrl.password) {
    throw new ConfigError('Invalid configuration:\n  GATEHOUSE_PUBLIC_URL: must not hold a user name or password (user:password@)');
  }
  if (Boolean(e.GATEHOUSE_TLS_CERT_FILE) !== Boolean(e.GATEHOUSE_TLS_KEY_FILE)) {
    throw new ConfigError('Invalid configuration:\n  GATEHOUSE_TLS_CERT_FILE and GATEHOUSE_TLS_KEY_FILE go together');
  }
  const trustProxy = parseProxyTrust(e.GATEHOUSE_TRUST_PROXY);
  if (typeof trustProxy === 'string') throw new ConfigError(`Invalid configuration:\n  GATEHOUSE_TRUST_PROXY: ${trustProxy}`);
  const ssoPrivateNetworks = privateNetworks('GATEHOUSE_SSO_PRIVATE_NETWORKS', e.GATEHOUSE_SSO_PRIVATE_NETWORKS, publicUrl);
  const modulePrivateNetworks = privateNetworks('GATEHOUSE_MODULE_PRIVATE_NETWORKS', e.GATEHOUSE_MODULE_PRIVATE_NETWORKS, publicUrl);
  const dataDir = path.resolve(e.GATEHOUSE_DATA_DIR);
  const dbUrl = e.GATEHOUSE_DATABASE_URL;
  if (dbUrl?.startsWith('sqlite:')) {
    const problem = sqlitePathProblem(dbUrl.slice('sqlite:'.length));
    if (problem) throw new ConfigError(`Invalid configuration:\n  GATEHOUSE_DATABASE_URL: ${problem}`);
  }
  const database: Config['database'] = dbUrl?.startsWith('postgres')
    ? { kind: 'postgres', url: dbUrl, preparedStatements: e.GATEHOUSE_POSTGRES_PREPARED === 'true' }
    : { kind: 'sqlite', file: dbUrl ? dbUrl.slice('sqlite:'.length) : path.join(dataDir, 'gatehouse.db'), synchronous: e.GATEHOUSE_SQLITE_SYNCHRONOUS };
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    dataDir,
    database,
    secretKey: e.GATEHOUSE_SECRET_KEY,
    platformName: e.GATEHOUSE_PLATFORM_NAME,
    mailFrom: e.GATEHOUSE_MAIL_FROM,
    smtpUrl: e.GATEHOUSE_SMTP_URL,
    linkTtlMs: e.GATEHOUSE_LINK_TTL_HOURS * 3_600_000,
    inviteLimits: { perInviterHour: e.GATEHOUSE_INVITES_PER_INVITER_HOUR, perCompanyDay: e.GATEHOUSE_INVITES_PER_COMPANY_DAY },
    companyTotals: Object.freeze({ users: e.GATEHOUSE_USERS_PER_COMPANY, groups: e.GATEHOUSE_GROUPS_PER_COMPANY, ssoProviders: e.GATEHOUSE_SSO_PROVIDERS_PER_COMPANY }),
    accountRequestsPerHour: e.GATEHOUSE_ACCOUNT_REQUESTS_PER_HOUR,
    apiRateLimit: e.GATEHOUSE_API_RATE_LIMIT,
    requestTimeoutMs: e.GATEHOUSE_REQUEST_TIMEOUT_SECONDS * 1000,
    downloadStallMs: e.GATEHOUSE_DOWNLOAD_STALL_SECONDS * 1000,
    auditRetentionDays: e.GATEHOUSE_AUDIT_RETENTION_DAYS,
    trustProxy,
    ssoPrivateNetworks,
    modulePrivateNetworks,
    logLevel: e.GATEHOUSE_LOG_LEVEL,
    logFormat: e.GATEHOUSE_LOG_FORMAT === 'auto' ? (process.stdout.isTTY ? 'pretty' : 'json') : e.GATEHOUSE_LOG_FORMAT,
    logRequests: e.GATEHOUSE_LOG_REQUESTS === 'true',
    argon2MaxConcurrency: e.GATEHOUSE_ARGON2_MAX_CONCURRENCY ?? 4,
    strictResponses: e.GATEHOUSE_STRICT_RESPONSES ? e.GATEHOUSE_STRICT_RESPONSES === 'true' : e.NODE_ENV !== 'production',
    workers: e.GATEHOUSE_WORKERS === 'auto' ? availableParallelism() : e.GATEHOUSE_WORKERS,
    metrics: { port: e.GATEHOUSE_METRICS_PORT, host: e.GATEHOUSE_METRICS_HOST, token: e.GATEHOUSE_METRICS_TOKEN },
    tls: e.GATEHOUSE_TLS_CERT_FILE && e.GATEHOUSE_TLS_KEY_FILE
      ? { certFile: e.GATEHOUSE_TLS_CERT_FILE, keyFile: e.GATEHOUSE_TLS_KEY_FILE }
      : undefined,
    secureCookies: publicUrl.protocol === 'https:',
  });
}

/** A *_PRIVATE_NETWORKS setting parsed; unset: loopback for a portal served on loopback (development), else none. */
function privateNetworks(name: string, value: string | undefined, publicUrl: URL): readonly string[] {
  if (value === undefined) return isLoopbackHost(publicUrl.hostname) ? LOOPBACK_RANGES : Object.freeze([]);
  if (value.trim() === '' || value.trim().toLowerCase() === 'none') return Object.freeze([]);
  const ranges = parseAddressRanges(value);
  if (typeof ranges === 'string') throw new ConfigError(`Invalid configuration:\n  ${name}: ${ranges}`);
  return Object.freeze(ranges);
}

/**
 * Why `sqlite:PATH` names no file every process and restart shares, or undefined. An
 * in-memory database would start empty at every start, and each worker would have its own
 * (sessions split between them, lockout counters multiplied).
 */
function sqlitePathProblem(file: string): string | undefined {
  if (file.trim() === '') return 'sqlite: needs a file path, e.g. sqlite:/var/lib/gatehouse/gatehouse.db';
  if (file === ':memory:' || file.startsWith('file:') || /[?&]mode=memory\b/.test(file)) {
    return 'an in-memory or file: URI database is not accepted; name a file, e.g. sqlite:/var/lib/gatehouse/gatehouse.db';
  }
  return undefined;
}

/** GATEHOUSE_* variables read elsewhere, or by the modules and the test suite that share a shell. */
const OTHER_VARIABLES = new Set(['GATEHOUSE_DEMO_MODULE', 'GATEHOUSE_ISSUER', 'GATEHOUSE_CLIENT_ID', 'GATEHOUSE_CLIENT_SECRET']);

/** A misspelt variable would otherwise be ignored in silence, and its default used. */
function warnUnknownVariables(env: NodeJS.ProcessEnv): void {
  const known = new Set(Object.keys(envSchema.shape));
  const unknown = Object.keys(env).filter(
    (name) => name.startsWith('GATEHOUSE_') && !known.has(name) && !OTHER_VARIABLES.has(name) && !/^GATEHOUSE_(TEST|E2E)_/.test(name),
  );
  for (const name of unknown) console.warn(`Warning: ${name} is not a Gatehouse setting and is ignored (docs/CONFIG.md lists them).`);
}

// What every command shares: its help text, argument parsing with clear usage errors,
// and the core (configuration, storage, capabilities) opened for one command and closed
// again, so a one-shot command never leaves the process running.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { sql } from 'kysely';
import { z } from 'zod';
import { loadConfig, type Config } from '../config.ts';
import type { createCore } from '../gatehouse.ts';
import { storedPublicUrl } from '../settings/index.ts';

export interface Command {
  /** The words after `gatehouse`: "requests approve". */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The whole `--help` text, starting with its usage line. */
  help: string;
  /** Resolves to the exit status. */
  run(argv: string[]): Promise<number>;
}

/** Bad usage: exit status 2, with the message and a pointer to the command's help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure to report as it is (no stack): exit status 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** Thrown by `parseCommand` when `--help` is given; the dispatcher prints the help. */
export class HelpRequested extends Error {
  override name = 'HelpRequested';
}

const helpOption = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * node:util parseArgs in strict mode, plus `--help`, a positional count check and usage
 * errors phrased for people. `positionals` names the expected arguments, e.g. ['ID'].
 */
export function parseCommand<const O extends ParseArgsOptionsConfig>(
  argv: string[],
  options: O,
  positionals: string[] = [],
) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, ...helpOption }, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(parseErrorMessage(error));
  }
  if ((parsed.values as { help?: boolean }).help) throw new HelpRequested();
  const [missing] = positionals.slice(parsed.positionals.length);
  if (missing) throw new UsageError(`Missing ${missing}.`);
  const extra = parsed.positionals.slice(positionals.length);
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}".`);
  return parsed;
}

function parseErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  // Node's messages end with advice on "--" that does not apply here; keep the first sentence.
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return message.split('. ')[0] + '.';
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /'(--[a-z-]+)/.exec(message)?.[1];
    // Node reads a value that starts with "-" (`--limit -1`) as another option.
    return option ? `Option ${option} needs a value (one that starts with "-" is written ${option}=VALUE).` : message;
  }
  return message;
}

/** Required option: a usage error naming it when absent. */
export function required(value: string | undefined, option: string): string {
  if (value === undefined) throw new UsageError(`Missing --${option}.`);
  return value;
}

/** Validates one value with zod; the first issue becomes the usage error. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, label: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new UsageError(`${label}: ${result.error.issues[0]?.message ?? 'invalid value'}`);
}

export const singleLine = (label: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, `${label} is empty.`)
    .max(max, `at most ${max} characters.`)
    .refine((value) => !/\p{Cc}/u.test(value), 'contains control characters.');

/** Usernames as every form takes them: judged as saved (src/contract). */
export { username } from '../contract/index.ts';

export type Core = Awaited<ReturnType<typeof createCore>> & { config: Config };

export interface CoreOptions {
  /**
   * `keys replace-lost-secret` alone: the secret key is expected not to open what the
   * database sealed (no key check), and `newKey` is the key to open it with when none is
   * configured (the embedded default's secret.key gone; the command writes it later).
   */
  lostSecretKey?: { newKey?: string };
}

/** Opens configuration, storage and capabilities for one command, and closes them after. */
export async function withCore<T>(work: (core: Core) => Promise<T>, options: CoreOptions = {}): Promise<T> {
  const loaded = loadConfig();
  const newKey = options.lostSecretKey?.newKey;
  const config = newKey === undefined ? loaded : Object.freeze({ ...loaded, secretKey: newKey });
  await requireExistingDatabase(config);
  // Loaded on demand: the composition root pulls in the HTTP stack and the OpenID
  // Connect provider, and --help or a usage error should not wait for them.
  const { createCore } = await import('../gatehouse.ts');
  const core = await createCore(config);
  try {
    if (!options.lostSecretKey) await requireMatchingKey(core);
    const effective = await serverConfig(core, config);
    return await work({ ...core, deps: { ...core.deps, config: effective }, config: effective });
  } finally {
    await core.mailWorker.stop();
    await core.storage.close();
  }
}

/**
 * Only `serve` and `migrate` make a database. Any other command run from the wrong folder,
 * or without the server's variables, would otherwise make a new empty one (and a secret
 * key) and report success on it: "no requests", a Sign Up link no server knows.
 */
async function requireExistingDatabase(config: Config): Promise<void> {
  const where = 'Run it with the server\'s environment: GATEHOUSE_DATA_DIR (default ./data, relative to the current folder) or GATEHOUSE_DATABASE_URL.\n' +
    'A new installation starts with "gatehouse migrate" or "gatehouse serve".';
  if (config.database.kind === 'sqlite') {
    const file = path.resolve(config.database.file);
    if (!existsSync(file)) throw new CliError(`There is no database at ${file}.\n${where}`);
    return;
  }
  // PostgreSQL: the database exists (or the connection fails, reported as such); an empty
  // one has no migration table.
  const { openStorage, describeDatabaseLocation } = await import('../storage/index.ts');
  const storage = await openStorage(config.database, { migrate: false });
  try {
    const { rows } = await sql<{ migrated: boolean }>`select to_regclass('kysely_migration') is not null as migrated`.execute(storage.db);
    if (!rows[0]?.migrated) throw new CliError(`There is no Gatehouse schema in ${describeDatabaseLocation(config.database)}.\n${where}`);
  } finally {
    await storage.close();
  }
}

/**
 * The secret key must be the one the database's sealed values were made with. A command
 * is how a restore is checked (docs/OPERATIONS.md), and most never open a sealed value: a
 * wrong key would pass the check and fail the server's start. The signing keys, opened
 * as the server opens them at its start, tell.
 */
async function requireMatchingKey(core: Awaited<ReturnType<typeof createCore>>): Promise<void> {
  const { loadSigningKeys } = await import('../modules/index.ts');
  try {
    await loadSigningKeys(core.storage.db, core.deps.secrets, core.deps.clock());
  } catch (error) {
    throw new CliError(
      `${error instanceof Error ? error.message : String(error)}.\n` +
        'This database was made with another secret key: restore its secret.key into the data folder, or set GATEHOUSE_SECRET_KEY to it.\n' +
        'If that key is lost for good, "gatehouse keys replace-lost-secret" starts again under a new one (docs/OPERATIONS.md, "A secret key lost for good").',
    );
  }
}

/**
 * Links the CLI makes (Sign Up, welcome mail) must be the ones the server would make. The
 * server records its public URL at every start; a CLI run from a shell without the same
 * GATEHOUSE_PUBLIC_URL or PORT uses that. A public URL set explicitly for this command
 * that disagrees with the server's is refused rather than mailed as a dead link.
 */
async function serverConfig(core: Awaited<ReturnType<typeof createCore>>, config: Config): Promise<Config> {
  const stored = await storedPublicUrl(core.storage.db);
  if (!stored || stored === config.publicUrl.origin) return config;
  // Set as the server reads it: blank is unset (docs/CONFIG.md), an env file's placeholder.
  if (process.env.GATEHOUSE_PUBLIC_URL?.trim()) {
    throw new CliError(
      `GATEHOUSE_PUBLIC_URL here is ${config.publicUrl.origin}, but the server last started with ${stored}.\n` +
        'Links made with the wrong address would not work. Run this with the server\'s GATEHOUSE_PUBLIC_URL,\n' +
        'or restart the server with the new one first.',
    );
  }
  const publicUrl = new URL(stored);
  return Object.freeze({ ...config, publicUrl, secureCookies: publicUrl.protocol === 'https:' });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checks an id argument's form before anything opens the database. */
export function idArgument(given: string, what: string): string {
  const id = given.trim().toLowerCase();
  if (!/^[0-9a-f-]{4,36}$/.test(id)) {
    throw new UsageError(`"${given}" is not a valid ${what} id (a UUID, or at least its first 4 characters).`);
  }
  return id;
}

/**
 * Ids are UUIDs; like git, a unique prefix of at least 4 characters will do. `pools`
 * are searched in order (e.g. pending requests first, then all).
 */
export async function resolveId(
  id: string,
  what: string,
  pools: Array<() => Promise<Array<{ id: string }>>>,
): Promise<string> {
  if (UUID.test(id)) return id;
  for (const pool of pools) {
    const matches = [...new Set((await pool()).map((row) => row.id).filter((candidate) => candidate.startsWith(id)))];
    if (matches.length === 1) return matches[0] as string;
    if (matches.length > 1) {
      throw new CliError(`"${id}" matches ${matches.length} ids (${matches.slice(0, 3).join(', ')}…); give more characters.`);
    }
  }
  throw new CliError(`No ${what} has an id starting with "${id}".`);
}

// `gatehouse api-clients create|list|rotate|delete`: machine credentials for the
// versioned API (/api/v1), a company's or the platform's. Changes are audited with the
// CLI as the actor; a secret is printed once, here, and never again.
import { z } from 'zod';
import {
  API_SCOPES,
  checkScopes,
  createApiClient,
  deleteApiClient,
  listApiClients,
  MAX_EXPIRY_DAYS,
  PLATFORM_ONLY_SCOPES,
  rotateApiClientSecret,
  type ApiClientView,
  type ChangedBy,
} from '../api-clients/index.ts';
import { findCompanyByName, getCompany } from '../companies/index.ts';
import { GatehouseError } from '../errors.ts';
import type { Db } from '../storage/index.ts';
import { CliError, parseCommand, required, singleLine, UsageError, validate, withCore, type Command } from './command.ts';
import { apiClientView } from '../presenters/index.ts';
import { printJson, table, time } from './format.ts';
import { CLI_ACTOR } from './requests.ts';

const BY_CLI: ChangedBy = { actorId: CLI_ACTOR, meta: { ip: null, userAgent: 'gatehouse-cli' } };
const CLIENT_ID = /^ghapi_[A-Za-z0-9_-]{22}$/;
const days = z.coerce.number().int('a whole number of days.').min(1, 'at least 1.').max(MAX_EXPIRY_DAYS, `at most ${MAX_EXPIRY_DAYS}.`);

const SCOPE_HELP = `Scopes (comma-separated):
  ${API_SCOPES.filter((s) => !PLATFORM_ONLY_SCOPES.has(s)).join(', ')}
  platform clients only: ${[...PLATFORM_ONLY_SCOPES].join(', ')}`;

function clientIdArgument(given: string): string {
  const id = given.trim();
  if (!CLIENT_ID.test(id)) throw new UsageError(`"${given}" is not an API client id (ghapi_ and 22 more characters; see gatehouse api-clients list).`);
  return id;
}

/** Field messages are what a person needs here, not the form's general line. */
function explain(clientId?: string) {
  return (error: unknown): never => {
    if (error instanceof GatehouseError && error.code === 'request.invalid' && error.fields) {
      throw new CliError(Object.values(error.fields).join(' '));
    }
    if (error instanceof GatehouseError && error.code === 'request.not_found' && clientId) {
      throw new CliError(`No API client has the id ${clientId} (deleted clients are gone for good).`);
    }
    throw error;
  };
}

async function companyName(db: Db, companyId: string | null): Promise<string> {
  if (companyId === null) return 'the platform (every company)';
  return (await getCompany(db, companyId))?.name ?? companyId;
}

function printSecret(client: ApiClientView, secret: string, origin: string): void {
  console.log(`  Client ID:      ${client.clientId}`);
  console.log(`  Client secret:  ${secret}`);
  console.log('');
  console.log('WARNING: the secret is shown only this once and cannot be read back. Store it now, in a');
  console.log('secrets manager. Lost or leaked? "gatehouse api-clients rotate" makes a new one.');
  console.log('');
  console.log('Get an access token (valid 10 minutes) and call the API:');
  console.log(`  curl -s -u '${client.clientId}:SECRET' -d grant_type=client_credentials ${origin}/oidc/token`);
  console.log(`  curl -s -H 'Authorization: Bearer TOKEN' ${origin}/api/v1/client`);
}

/** --scopes, checked before the database is opened: a wrong one is bad usage (exit 2), like any other option's. */
function scopesOption(list: string, forCompany: boolean): string[] {
  const given = list.split(',').map((scope) => scope.trim()).filter(Boolean);
  try {
    checkScopes(given, forCompany);
  } catch (error) {
    if (error instanceof GatehouseError && error.fields?.scopes) throw new UsageError(`--scopes: ${error.fields.scopes}`);
    throw error;
  }
  return given;
}

const create: Command = {
  name: 'api-clients create',
  summary: 'Add an API client for a company (or the platform) and print its secret once',
  help: `Usage: gatehouse api-clients create --name NAME --scopes SCOPE[,SCOPE...] [--company "Company Name"] [--expires-in-days N]

Adds an API client: a client id and secret that tooling exchanges for access tokens at
/oidc/token (OAuth client credentials) to call /api/v1. With --company it acts for that
company only; without it, it is a platform client that reaches every company.

Options:
  --name NAME            what it is for, e.g. "PSA sync" (shown in the audit log)
  --scopes LIST          what it may do, comma-separated
  --company NAME         the company it acts for (default: the platform)
  --expires-in-days N    stop working after N days (1-${MAX_EXPIRY_DAYS}; default: never)
  --json                 the client and its secret as JSON

${SCOPE_HELP}

Example:
  gatehouse api-clients create --name "PSA sync" --scopes users:read,users:write --company "Acme Ltd"`,
  async run(argv) {
    const { values } = parseCommand(argv, {
      name: { type: 'string' },
      scopes: { type: 'string' },
      company: { type: 'string' },
      'expires-in-days': { type: 'string' },
      json: { type: 'boolean' },
    });
    const name = validate(singleLine('--name', 100), required(values.name, 'name'), '--name');
    const scopes = scopesOption(required(values.scopes, 'scopes'), values.company !== undefined);
    const expiresInDays = values['expires-in-days'] === undefined ? undefined : validate(days, values['expires-in-days'], '--expires-in-days');
    return withCore(async ({ deps, config }) => {
      let companyId: string | null = null;
      if (values.company !== undefined) {
        const company = await findCompanyByName(deps.db, values.company);
        if (!company) throw new CliError(`No company is named "${values.company}".`);
        companyId = company.id;
      }
      const { client, clientSecret } = await createApiClient(deps, { name, scopes, companyId, expiresInDays }, BY_CLI).catch(explain());
      if (values.json) {
        printJson({ client: apiClientView(client), clientSecret });
        return 0;
      }
      console.log(`API client "${client.name}" created for ${await companyName(deps.db, client.companyId)}.`);
      console.log(`Scopes: ${client.scopes.join(', ')}. Expires: ${client.expiresAt === null ? 'never' : time(client.expiresAt)}.\n`);
      printSecret(client, clientSecret, config.publicUrl.origin);
      return 0;
    });
  },
};

const list: Command = {
  name: 'api-clients list',
  summary: 'List API clients (not their secrets)',
  help: `Usage: gatehouse api-clients list [--company "Company Name"] [--json]

Lists the API clients that are not deleted, newest first: every company's and the
platform's, or one company's with --company. Secrets are never shown again.

Options:
  --company NAME   only this company's clients
  --json           every field, as JSON`,
  async run(argv) {
    const { values } = parseCommand(argv, { company: { type: 'string' }, json: { type: 'boolean' } });
    return withCore(async ({ deps }) => {
      let reach: { companyId: string } | 'every-company' = 'every-company';
      if (values.company !== undefined) {
        const company = await findCompanyByName(deps.db, values.company);
        if (!company) throw new CliError(`No company is named "${values.company}".`);
        reach = { companyId: company.id };
      }
      const clients = await listApiClients(deps.db, reach);
      if (values.json) {
        printJson({ clients: clients.map(apiClientView) });
        return 0;
      }
      if (clients.length === 0) {
        console.log('No API clients. Add one with: gatehouse api-clients create --name NAME --scopes LIST [--company NAME]');
        return 0;
      }
      const now = deps.clock();
      const rows = await Promise.all(
        clients.map(async (c) => [
          c.clientId,
          c.name,
          c.companyId === null ? '(platform)' : await companyName(deps.db, c.companyId),
          c.scopes.join(','),
          c.expiresAt === null ? 'never' : `${c.expiresAt <= now ? 'EXPIRED ' : ''}${time(c.expiresAt)}`,
          time(c.lastUsedAt),
          // Its secret's holder is no longer an active Master: refused until rotated.
          c.holderLeft ? 'stopped: rotate its secret' : c.expiresAt !== null && c.expiresAt <= now ? 'expired' : 'active',
        ]),
      );
      console.log(table(['CLIENT ID', 'NAME', 'COMPANY', 'SCOPES', 'EXPIRES', 'LAST USED', 'STATUS'], rows));
      return 0;
    });
  },
};

const rotate: Command = {
  name: 'api-clients rotate',
  summary: "Replace an API client's secret and print the new one once",
  help: `Usage: gatehouse api-clients rotate CLIENT_ID

Gives the API client a new secret and prints it once. The old secret, and every access
token obtained with it, stop working at once.

Arguments:
  CLIENT_ID   the client id (ghapi_..., see gatehouse api-clients list)`,
  async run(argv) {
    const { positionals } = parseCommand(argv, {}, ['CLIENT_ID']);
    const clientId = clientIdArgument(positionals[0] as string);
    return withCore(async ({ deps, config }) => {
      const { client, clientSecret } = await rotateApiClientSecret(deps, 'every-company', clientId, BY_CLI).catch(explain(clientId));
      console.log(`New secret for API client "${client.name}". The old secret and its tokens no longer work.\n`);
      printSecret(client, clientSecret, config.publicUrl.origin);
      return 0;
    });
  },
};

const remove: Command = {
  name: 'api-clients delete',
  summary: 'Delete an API client; its tokens stop working at once',
  help: `Usage: gatehouse api-clients delete CLIENT_ID

Deletes the API client for good: it can get no more tokens, and the ones it has stop
working at their next request. The audit log keeps its name.

Arguments:
  CLIENT_ID   the client id (ghapi_..., see gatehouse api-clients list)`,
  async run(argv) {
    const { positionals } = parseCommand(argv, {}, ['CLIENT_ID']);
    const clientId = clientIdArgument(positionals[0] as string);
    return withCore(async ({ deps }) => {
      const client = await deleteApiClient(deps, 'every-company', clientId, BY_CLI).catch(explain(clientId));
      console.log(`Deleted API client "${client.name}" (${client.clientId}).`);
      return 0;
    });
  },
};

export const apiClientCommands = [create, list, rotate, remove];

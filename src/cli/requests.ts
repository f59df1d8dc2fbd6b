// `gatehouse requests list|approve|reject`: the operator console's Requests tab, for the
// terminal. Decisions are recorded with the CLI as the actor.
import { z } from 'zod';
import { approveAccountRequest, countAccountRequests, directoryEntry, listAccountRequests, rejectAccountRequest } from '../companies/index.ts';
import { MAX_PAGE } from '../contract/common.ts';
import { GatehouseError } from '../errors.ts';
import { pageOf, requestCursor, type CursorPlace } from '../http/api-cursors.ts';
import { requestListPlace } from '../http/directory-views.ts';
import { listMail } from '../mail/index.ts';
import { accountRequestView } from '../presenters/index.ts';
import type { RequestMeta } from '../shared/deps.ts';
import type { Db, TimeKey } from '../storage/index.ts';
import {
  CliError,
  idArgument,
  parseCommand,
  required,
  resolveId,
  singleLine,
  UsageError,
  username,
  validate,
  withCore,
  type Command,
  type Core,
} from './command.ts';
import { age, printable, printJson, shortId, table, time } from './format.ts';

/** Recorded as decided_by and in the audit trail for decisions taken here. */
export const CLI_ACTOR = 'cli';
const CLI_META: RequestMeta = { ip: null, userAgent: 'gatehouse-cli' };
/** The same actor, for capabilities that take who acts as an audit event's fields. */
export const CLI_AUDIT_ACTOR = { actorId: CLI_ACTOR, ...CLI_META };

const STATUSES = ['pending', 'approved', 'rejected', 'all'] as const;
const status = z.enum(STATUSES, { error: 'use pending, approved, rejected or all.' });
type Status = z.output<typeof status>;
const pageLimit = z.coerce.number({ error: 'a whole number.' }).int('a whole number.').min(1, 'at least 1.').max(MAX_PAGE, `at most ${MAX_PAGE}.`);

/** Where --cursor says the page starts, in the list it was made for (the status and the search). */
function cursorAt(place: CursorPlace, cursor: string): TimeKey {
  try {
    return requestCursor.read(place, cursor);
  } catch {
    throw new UsageError('--cursor: not a cursor from a previous page of this list.');
  }
}

type Listed = Awaited<ReturnType<typeof listAccountRequests>>[number];

function stateOf(row: Listed): string {
  if (row.status === 'rejected') return row.reject_reason ? `rejected: ${row.reject_reason}` : 'rejected';
  if (row.status === 'approved') return `approved ${time(row.decided_at)}`;
  if (row.urgency === 'overdue') return 'OVERDUE (over 48 h)';
  if (row.urgency === 'due') return 'due (over 24 h)';
  return 'new';
}

function summary(rows: Listed[]): string {
  const pending = rows.filter((row) => row.status === 'pending');
  if (pending.length === 0) return `${rows.length} request${rows.length === 1 ? '' : 's'}.`;
  const overdue = pending.filter((row) => row.urgency === 'overdue').length;
  const due = pending.filter((row) => row.urgency === 'due').length;
  const parts = [`${pending.length} pending`];
  if (overdue) parts.push(`${overdue} overdue`);
  if (due) parts.push(`${due} due`);
  return `${parts.join(', ')}. Requests are answered within 24 to 48 hours.`;
}

/** Every request is read a page at a time, along the keyset the console pages by. */
const BATCH = MAX_PAGE;

/** Every request with this filter, in list order. */
async function everyRequest(db: Db, wanted: Status, now: number, search?: string) {
  const all: Listed[] = [];
  let after: TimeKey | undefined;
  for (;;) {
    const rows = await listAccountRequests(db, wanted, now, { after, limit: BATCH, search });
    all.push(...rows);
    const last = rows.at(-1);
    if (rows.length < BATCH || last === undefined) return all;
    after = { createdAt: last.created_at, id: last.id };
  }
}

/** A full id or a unique prefix; pending requests are searched first. */
function resolveRequestId(db: Db, given: string, now: number) {
  return resolveId(given, 'account request', [() => everyRequest(db, 'pending', now), () => everyRequest(db, 'all', now)]);
}

function explainNotFound(id: string) {
  return (error: unknown): never => {
    if (error instanceof GatehouseError && error.code === 'request.not_found') {
      throw new CliError(`No account request has the id ${id}.`);
    }
    throw error;
  };
}

const list: Command = {
  name: 'requests list',
  summary: 'List company account requests with their age, due and overdue marked',
  help: `Usage: gatehouse requests list [--status pending|approved|rejected|all] [--search TEXT]
                              [--limit N [--cursor CURSOR]] [--json]

Lists company account requests: pending ones oldest first (the most urgent on top), the
others newest first. A pending request is "due" after 24 hours and "OVERDUE" after 48
hours: the reply promised to companies is within 24 to 48 hours. Every request is listed
unless --limit asks for one page, which ends with the --cursor for the next.

Options:
  --status STATUS   pending (default), approved, rejected or all
  --search TEXT     only requests whose company name or contact email contains TEXT
                    (case ignored; % and _ are plain characters)
  --limit N         one page of at most N requests (1 to ${MAX_PAGE})
  --cursor CURSOR   the page after the one that printed this cursor (same options)
  --json            every field, as JSON (full ids, phone, note, decision), with the
                    total and the next page's cursor (null on the last page)

IDs are shown shortened; any unique prefix of at least 4 characters works in
"gatehouse requests approve" and "reject".`,
  async run(argv) {
    const { values } = parseCommand(argv, {
      status: { type: 'string', default: 'pending' },
      search: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      json: { type: 'boolean' },
    });
    const wanted = validate(status, values.status, '--status');
    const search = values.search === undefined ? undefined : validate(singleLine('--search', 100), values.search, '--search');
    const paged = values.limit !== undefined || values.cursor !== undefined;
    const limit = values.limit === undefined ? 100 : validate(pageLimit, values.limit, '--limit');
    // What is no cursor at all is a usage error before the database is opened.
    if (values.cursor !== undefined && !/^[A-Za-z0-9_-]{23,1400}$/.test(values.cursor)) throw new UsageError('--cursor: not a cursor from a previous page of this list.');
    return withCore(async ({ deps }) => {
      const place = requestListPlace(deps, wanted, search);
      const after = values.cursor === undefined ? undefined : cursorAt(place, values.cursor);
      const now = deps.clock();
      let rows: Listed[];
      let nextCursor: string | null = null;
      if (paged) {
        const page = pageOf(await listAccountRequests(deps.db, wanted, now, { after, limit: limit + 1, search }), limit, (last) =>
          requestCursor.of(place, { createdAt: last.created_at, id: last.id }),
        );
        rows = page.items;
        nextCursor = page.nextCursor;
      } else {
        rows = await everyRequest(deps.db, wanted, now, search);
      }
      const total = paged ? await countAccountRequests(deps.db, wanted, search) : rows.length;
      if (values.json) {
        printJson({ requests: rows.map(accountRequestView), nextCursor, total });
        return 0;
      }
      if (rows.length === 0) {
        const which = wanted === 'all' ? 'account requests' : `${wanted} account requests`;
        if (search !== undefined) console.log(`No ${which} match "${printable(search)}".`);
        else if (after !== undefined) console.log(`No more ${which}.`);
        else console.log(wanted === 'all' ? 'No account requests yet.' : `No ${wanted} account requests.`);
        return 0;
      }
      console.log(
        table(
          ['ID', 'AGE', 'COMPANY', 'CONTACT', 'EMAIL', 'STATUS'],
          rows.map((row) => [shortId(row.id), age(row.ageMs), row.company_name, row.contact_name, row.email, stateOf(row)]),
        ),
      );
      // A page's counts would be the page's: it says where it stands in the whole list instead.
      console.log(`\n${paged ? `${rows.length} shown of ${total} request${total === 1 ? '' : 's'}.` : summary(rows)}`);
      if (nextCursor) console.log(`Next page: the same command with --cursor ${nextCursor}`);
      if (rows.some((row) => row.status === 'pending')) {
        console.log('Approve: gatehouse requests approve ID [--username NAME]   Reject: gatehouse requests reject ID --reason TEXT');
      }
      return 0;
    });
  },
};

async function reportApproval(core: Core, requestId: string, result: { companyId: string; username: string }) {
  const company = await directoryEntry(core.deps.db, result.companyId);
  console.log(
    `Approved request ${shortId(requestId)}: company "${company?.name ?? result.companyId}" created, ` +
      `with Root Master "${result.username}"${company?.email ? ` <${company.email}>` : ''}.`,
  );
  const mail = (await listMail(core.deps.db, 50)).find(
    (row) => row.recipient === company?.email && row.subject === 'Welcome to Gatehouse',
  );
  if (!mail) return;
  if (mail.status === 'sent') {
    console.log(
      mail.mailboxId
        ? `"Welcome to Gatehouse" is in the local mailbox: gatehouse mail show ${shortId(mail.id)}`
        : `"Welcome to Gatehouse" was sent to ${mail.recipient}.`,
    );
    return;
  }
  if (mail.status === 'failed') {
    // Refused for good by the mail server (a 5xx to the address or the message): nothing
    // retries it (docs/OPERATIONS.md, Mail delivery and retries).
    console.warn(`"Welcome to Gatehouse" to ${mail.recipient} failed for good${mail.lastError ? `: ${mail.lastError}` : '.'}`);
    console.warn("It will not be retried: check the address and the answer above, then use Resend welcome on the company (operator console, Companies tab).");
    return;
  }
  console.warn(`"Welcome to Gatehouse" to ${mail.recipient} is not delivered yet${mail.lastError ? `: ${mail.lastError}` : '.'}`);
  console.warn('The running server retries it with backoff; follow it with: gatehouse mail list');
}

const approve: Command = {
  name: 'requests approve',
  summary: 'Approve a request: create the company and its Root Master, send the welcome mail',
  help: `Usage: gatehouse requests approve ID [--username NAME]

Approves a pending account request. One transaction creates the company and its Root
Master user and queues the "Welcome to Gatehouse" email with a one-time Sign Up link;
the mail is then delivered before the command returns (or, if delivery fails, left for
the running server to retry; a mail server's refusal of the address is final, and said so).

Arguments:
  ID                 the request's id, or a unique prefix of it (gatehouse requests list)

Options:
  --username NAME    the Root Master's username (default: the part of the contact's
                     email before the @, e.g. dana for dana@acme.example)`,
  async run(argv) {
    const { values, positionals } = parseCommand(argv, { username: { type: 'string' } }, ['ID']);
    const given = idArgument(positionals[0] as string, 'account request');
    const chosen = values.username === undefined ? undefined : validate(username, values.username, '--username');
    return withCore(async (core) => {
      const { deps, mailWorker } = core;
      const id = await resolveRequestId(deps.db, given, deps.clock());
      const result = await approveAccountRequest(deps, id, { username: chosen, operatorId: CLI_ACTOR }, CLI_META).catch(
        explainNotFound(id),
      );
      await mailWorker.runOnce();
      await reportApproval(core, id, result);
      return 0;
    });
  },
};

const reject: Command = {
  name: 'requests reject',
  summary: 'Reject a request, with a reason',
  help: `Usage: gatehouse requests reject ID --reason TEXT

Rejects a pending account request. The reason is kept with the request and in the
audit trail; no mail is sent to the requester.

Arguments:
  ID               the request's id, or a unique prefix of it (gatehouse requests list)

Options:
  --reason TEXT    why (up to 1000 characters)`,
  async run(argv) {
    const { values, positionals } = parseCommand(argv, { reason: { type: 'string' } }, ['ID']);
    const given = idArgument(positionals[0] as string, 'account request');
    const reason = validate(singleLine('--reason', 1000), required(values.reason, 'reason'), '--reason');
    return withCore(async ({ deps }) => {
      const id = await resolveRequestId(deps.db, given, deps.clock());
      await rejectAccountRequest(deps, id, { reason, operatorId: CLI_ACTOR }, CLI_META).catch(explainNotFound(id));
      console.log(`Rejected request ${shortId(id)}. Reason recorded: ${reason}`);
      return 0;
    });
  },
};

export const requestCommands = [list, approve, reject];

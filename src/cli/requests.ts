// `gatehouse requests list|approve|reject`: the operator console's Requests tab, for the
// terminal. Decisions are recorded with the CLI as the actor.
import { z } from 'zod';
import { approveAccountRequest, listAccountRequests, listCompanies, rejectAccountRequest } from '../companies/index.ts';
import { GatehouseError } from '../errors.ts';
import { listMail } from '../mail/index.ts';
import { accountRequestView } from '../presenters/index.ts';
import type { RequestMeta } from '../shared/deps.ts';
import type { Db } from '../storage/index.ts';
import {
  CliError,
  idArgument,
  parseCommand,
  required,
  resolveId,
  singleLine,
  username,
  validate,
  withCore,
  type Command,
  type Core,
} from './command.ts';
import { age, printJson, shortId, table, time } from './format.ts';

/** Recorded as decided_by and in the audit trail for decisions taken here. */
export const CLI_ACTOR = 'cli';
const CLI_META: RequestMeta = { ip: null, userAgent: 'gatehouse-cli' };
/** The same actor, for capabilities that take who acts as an audit event's fields. */
export const CLI_AUDIT_ACTOR = { actorId: CLI_ACTOR, ...CLI_META };

const STATUSES = ['pending', 'approved', 'rejected', 'all'] as const;
const status = z.enum(STATUSES, { error: 'use pending, approved, rejected or all.' });

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


/** A full id or a unique prefix; pending requests are searched first. */
function resolveRequestId(db: Db, given: string, now: number) {
  return resolveId(given, 'account request', [
    () => listAccountRequests(db, 'pending', now),
    () => listAccountRequests(db, 'all', now),
  ]);
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
  summary: 'List company account requests, oldest first, with their age',
  help: `Usage: gatehouse requests list [--status pending|approved|rejected|all] [--json]

Lists company account requests, oldest first. A pending request is "due" after 24 hours
and "OVERDUE" after 48 hours: the reply promised to companies is within 24 to 48 hours.

Options:
  --status STATUS   pending (default), approved, rejected or all
  --json            every field, as JSON (full ids, phone, note, decision)

IDs are shown shortened; any unique prefix of at least 4 characters works in
"gatehouse requests approve" and "reject".`,
  async run(argv) {
    const { values } = parseCommand(argv, { status: { type: 'string', default: 'pending' }, json: { type: 'boolean' } });
    const wanted = validate(status, values.status, '--status');
    return withCore(async ({ deps }) => {
      const rows = await listAccountRequests(deps.db, wanted, deps.clock());
      if (values.json) {
        printJson({ requests: rows.map(accountRequestView) });
        return 0;
      }
      if (rows.length === 0) {
        console.log(wanted === 'all' ? 'No account requests yet.' : `No ${wanted} account requests.`);
        return 0;
      }
      console.log(
        table(
          ['ID', 'AGE', 'COMPANY', 'CONTACT', 'EMAIL', 'STATUS'],
          rows.map((row) => [shortId(row.id), age(row.ageMs), row.company_name, row.contact_name, row.email, stateOf(row)]),
        ),
      );
      console.log(`\n${summary(rows)}`);
      if (rows.some((row) => row.status === 'pending')) {
        console.log('Approve: gatehouse requests approve ID [--username NAME]   Reject: gatehouse requests reject ID --reason TEXT');
      }
      return 0;
    });
  },
};

async function reportApproval(core: Core, requestId: string, result: { companyId: string; username: string }) {
  const company = (await listCompanies(core.deps.db)).find((row) => row.id === result.companyId);
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
the running server to retry).

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

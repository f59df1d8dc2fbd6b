// `gatehouse mail list|show`: the outbox's delivery state, and the local mailbox that
// stands in for an SMTP server in the embedded default.
import { z } from 'zod';
import { listMail, readMailboxMessage } from '../mail/index.ts';
import { mailView } from '../presenters/index.ts';
import { CliError, idArgument, parseCommand, resolveId, validate, withCore, type Command } from './command.ts';
import { printable, printJson, shortId, table, time } from './format.ts';

type Listed = Awaited<ReturnType<typeof listMail>>[number];

const status = z.enum(['failed', 'pending', 'sent'], { error: 'use failed, pending or sent.' });

const attempts = (n: number) => `${n} attempt${n === 1 ? '' : 's'}`;

function stateOf(row: Listed): string {
  if (row.status === 'sent') return row.mailboxId ? 'in mailbox' : 'sent';
  if (row.status === 'failed') return `FAILED after ${attempts(row.attempts)}`;
  return row.attempts === 0 ? 'queued' : `retrying after ${attempts(row.attempts)}`;
}

const list: Command = {
  name: 'mail list',
  summary: 'Show the outgoing mail: delivery state and the local mailbox',
  help: `Usage: gatehouse mail list [--status failed|pending|sent] [--json]

Lists the 200 newest outgoing messages with their delivery state: queued, retrying (with
the last error), failed (refused for good by the SMTP server, or given up after 55
attempts, about a day), sent over SMTP, or "in mailbox" when the embedded default's local
mailbox received it (no GATEHOUSE_SMTP_URL set). Read a mailbox message with
"gatehouse mail show ID".

Options:
  --status STATUS   only failed, pending or sent messages (the 200 newest of them):
                    --status failed finds a failed message however many came after it
  --json            every field, as JSON`,
  async run(argv) {
    const { values } = parseCommand(argv, { status: { type: 'string' }, json: { type: 'boolean' } });
    const wanted = values.status === undefined ? undefined : validate(status, values.status, '--status');
    return withCore(async ({ deps, config }) => {
      const rows = await listMail(deps.db, 200, wanted);
      const transport = config.smtpUrl ? 'smtp' : 'mailbox';
      if (values.json) {
        printJson({
          transport,
          messages: rows.map(mailView),
        });
        return 0;
      }
      console.log(transport === 'smtp' ? 'Delivery: SMTP (GATEHOUSE_SMTP_URL)' : 'Delivery: local mailbox (no GATEHOUSE_SMTP_URL set)');
      if (rows.length === 0) {
        console.log(wanted ? `No ${wanted} mail.` : 'No mail yet.');
        return 0;
      }
      console.log(
        table(
          ['ID', 'CREATED', 'TO', 'SUBJECT', 'STATE'],
          rows.map((row) => [shortId(row.id), time(row.createdAt), row.recipient, row.subject, stateOf(row)]),
        ),
      );
      for (const row of rows.filter((r) => r.status !== 'sent' && r.lastError)) {
        console.log(`  ${shortId(row.id)}: last error: ${row.lastError}`);
      }
      return 0;
    });
  },
};

const show: Command = {
  name: 'mail show',
  summary: 'Print a message from the local mailbox',
  help: `Usage: gatehouse mail show ID

Prints a message the local mailbox received: its headers and its text body, which
holds any link (such as the Sign Up link of "Welcome to Gatehouse").

Arguments:
  ID    the message's id, or a unique prefix of it (gatehouse mail list)`,
  async run(argv) {
    const { positionals } = parseCommand(argv, {}, ['ID']);
    const given = idArgument(positionals[0] as string, 'message');
    return withCore(async ({ deps }) => {
      const rows = await listMail(deps.db);
      const id = await resolveId(given, 'message', [async () => rows]);
      const message = await readMailboxMessage(deps.db, id);
      if (!message) {
        const row = rows.find((r) => r.id === id);
        if (row?.status === 'sent') throw new CliError(`Message ${shortId(id)} was sent over SMTP; Gatehouse keeps no copy of it.`);
        if (row) throw new CliError(`Message ${shortId(id)} is not delivered yet: ${stateOf(row)}.`);
        throw new CliError(`No message has the id ${id}.`);
      }
      console.log(
        [
          `From: ${message.sender}`,
          `To: ${message.recipient}`,
          `Subject: ${message.subject}`,
          `Date: ${new Date(message.created_at).toUTCString()}`,
          `Id: ${message.outbox_id}`,
          '',
          message.text_body,
        ]
          .map(printable)
          .join('\n'),
      );
      return 0;
    });
  },
};

export const mailCommands = [list, show];

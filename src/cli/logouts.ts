// `gatehouse logouts list`: the back-channel logout notices owed to modules when access
// ended, and whether each was delivered, is being retried, or was given up.
import { z } from 'zod';
import { BACKCHANNEL_MAX_ATTEMPTS } from '../modules/backchannel/index.ts';
import { listLogoutNotices } from '../modules/index.ts';
import { parseCommand, validate, withCore, type Command } from './command.ts';
import { iso, printJson, shortId, table, time } from './format.ts';

type Listed = Awaited<ReturnType<typeof listLogoutNotices>>[number];

const status = z.enum(['failed', 'pending', 'sent'], { error: 'use failed, pending or sent.' });
const described = { failed: 'failed', pending: 'queued or retrying', sent: 'delivered' } as const;

const attempts = (n: number) => `${n} attempt${n === 1 ? '' : 's'}`;

function stateOf(row: Listed): string {
  if (row.status === 'sent') return 'delivered';
  if (row.status === 'failed') return `FAILED after ${attempts(row.attempts)}`;
  return row.attempts === 0 ? 'queued' : `retrying after ${attempts(row.attempts)}`;
}

const list: Command = {
  name: 'logouts list',
  summary: 'Show the back-channel logout notices sent to modules',
  help: `Usage: gatehouse logouts list [--status failed|pending|sent] [--json]

Lists the 200 newest back-channel logout notices, newest first: the module, the company,
why access ended (logout, session_revoked, user_deactivated, ...) and the delivery
state: queued, retrying (with the last error), FAILED (gave up after ${BACKCHANNEL_MAX_ATTEMPTS}
attempts, about five hours) or delivered. Delivered notices are kept 30 days.

Options:
  --status STATUS   only failed, pending (queued or retrying) or sent (delivered)
                    notices, the 200 newest of them: --status failed finds those
                    gatehouse_outbox_failed{outbox="logout"} counts, however many
                    notices came after them
  --json            every field, as JSON`,
  async run(argv) {
    const { values } = parseCommand(argv, { status: { type: 'string' }, json: { type: 'boolean' } });
    const wanted = values.status === undefined ? undefined : validate(status, values.status, '--status');
    return withCore(async ({ deps }) => {
      const rows = await listLogoutNotices(deps.db, 200, wanted);
      if (values.json) {
        printJson({
          notices: rows.map((row) => ({ ...row, createdAt: iso(row.createdAt), sentAt: iso(row.sentAt) })),
        });
        return 0;
      }
      if (rows.length === 0) {
        console.log(wanted ? `No ${described[wanted]} logout notices.` : 'No logout notices yet.');
        return 0;
      }
      console.log(
        table(
          ['ID', 'CREATED', 'MODULE', 'COMPANY', 'REASON', 'STATE'],
          rows.map((row) => [shortId(row.id), time(row.createdAt), row.module ?? row.clientId, row.company ?? '-', row.reason, stateOf(row)]),
        ),
      );
      for (const row of rows.filter((r) => r.status !== 'sent' && r.lastError)) {
        console.log(`  ${shortId(row.id)}: last error: ${row.lastError}`);
      }
      return 0;
    });
  },
};

export const logoutCommands = [list];

// Whoever sent a request that waits (a 2FA reset asked for, an invitation mailed) may still
// send it: a person while they are an active Master (or the Root Master) of the company; an
// API client of the company (or the platform's) while it stands (standingApiClient: not
// deleted nor expired, its secret held by someone who may hold it). What waits is its
// sender's word: once they could not send it again, it must not be carried out. One rule,
// in SQL, for every such row, named by its own columns.
import { sql, type ExpressionBuilder } from 'kysely';
import { standingApiClient } from '../api-clients/index.ts';
import type { Database } from '../storage/schema.ts';

/** The row's columns naming its sender and its company, as `table.column`. */
export interface SenderColumns {
  user: string;
  client: string;
  company: string;
}

/** Whether the row's sender may still send it (see above); a row with neither sender has none to lose. */
export const senderMayAct =
  (now: number, columns: SenderColumns, { noSenderStands }: { noSenderStands: boolean }) =>
  // Any table's rows: its columns are named by `columns`, as references the query checks.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (eb: ExpressionBuilder<Database, any>) => {
    const [user, client, company] = [sql.ref<string>(columns.user), sql.ref<string>(columns.client), sql.ref<string>(columns.company)];
    const anyone = eb.selectFrom('users as sender').select('sender.id');
    return eb.or([
      ...(noSenderStands ? [eb.and([eb(user, 'is', null), eb(client, 'is', null)])] : []),
      eb.exists(
        anyone
          .where('sender.id', '=', user)
          .where('sender.company_id', '=', company)
          .where('sender.status', '=', 'active')
          .where('sender.role', 'in', ['master', 'root_master']),
      ),
      eb.exists(
        eb
          .selectFrom('api_clients')
          .select('api_clients.id')
          .where('api_clients.id', '=', client)
          .where((inner) => inner.or([inner('api_clients.company_id', 'is', null), inner('api_clients.company_id', '=', company)]))
          .where(standingApiClient(now)),
      ),
    ]);
  };

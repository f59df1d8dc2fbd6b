// The provider's records whose id is a value it hands out (tokens, codes, the provider
// session's cookie) are stored under the SHA-256 of that id, and without the `jti` that
// repeats it (src/modules/oidc/stored-ids.ts): a backup or any read of the database no
// longer yields a live token. The rows stored before are rewritten that way rather than
// deleted, so the tokens and provider sessions of the upgrade's moment keep working and
// nobody is signed out. An interaction stored as a row loses the provider session id it
// named (`session.cookie`, which the provider never reads).
//
// The models are listed as they were when this was written, not imported: a model hashed
// later needs a migration of its own, and this one must never hash its rows a second time.
import type { Kysely } from 'kysely';
import { hashToken } from '../../crypto/index.ts';

const HASHED_MODELS = [
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'ClientCredentials',
  'Session',
  'PushedAuthorizationRequest',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
  'RegistrationAccessToken',
  'InitialAccessToken',
];

/** Rows rewritten per statement: well inside either engine's limit on bound values. */
const ROWS_PER_STATEMENT = 200;

interface RecordRow {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  account_id: string | null;
  expires_at: number | string | null;
  consumed_at: number | string | null;
}

type Records = Kysely<{ oidc_records: RecordRow }>;

/** A payload without `field` (and, for `within`, without it inside that object); unchanged text when there is none. */
function payloadWithout(payload: string, field: string, within?: string): string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return payload;
  }
  const holder = within === undefined ? parsed : parsed[within];
  if (!holder || typeof holder !== 'object' || !(field in holder)) return payload;
  delete (holder as Record<string, unknown>)[field];
  return JSON.stringify(parsed);
}

const hashedRow = (row: RecordRow): RecordRow => ({ ...row, id: hashToken(row.id), payload: payloadWithout(row.payload, 'jti') });

/** Every row of the hashed models under its hashed id: each chunk deleted and stored again (the id is the key). */
async function hashBearerIds(db: Records): Promise<void> {
  const keys = await db.selectFrom('oidc_records').select(['model', 'id']).where('model', 'in', HASHED_MODELS).execute();
  for (let at = 0; at < keys.length; at += ROWS_PER_STATEMENT) {
    const chunk = keys.slice(at, at + ROWS_PER_STATEMENT);
    const rows = await db
      .selectFrom('oidc_records')
      .selectAll()
      .where((eb) => eb.or(chunk.map(({ model, id }) => eb.and([eb('model', '=', model), eb('id', '=', id)]))))
      .execute();
    await db
      .deleteFrom('oidc_records')
      .where((eb) => eb.or(chunk.map(({ model, id }) => eb.and([eb('model', '=', model), eb('id', '=', id)]))))
      .execute();
    if (rows.length > 0) await db.insertInto('oidc_records').values(rows.map(hashedRow)).execute();
  }
}

/** Interactions stored as rows, without the provider session id they named. */
async function dropSessionIdsOfInteractions(db: Records): Promise<void> {
  const rows = await db.selectFrom('oidc_records').select(['id', 'payload']).where('model', '=', 'Interaction').execute();
  for (const row of rows) {
    const payload = payloadWithout(row.payload, 'cookie', 'session');
    if (payload !== row.payload) await db.updateTable('oidc_records').set({ payload }).where('model', '=', 'Interaction').where('id', '=', row.id).execute();
  }
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const records = db as unknown as Records;
  await hashBearerIds(records);
  await dropSessionIdsOfInteractions(records);
}

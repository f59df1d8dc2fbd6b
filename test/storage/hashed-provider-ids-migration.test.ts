// Migration 0019 on a database as the previous release left it, on both engines: the
// provider's bearer records (tokens, codes, provider sessions) were stored under their own
// value, with it again in the payload's `jti`. After the migration no row holds any of
// those values, and the provider's storage adapter finds each record by the value the
// client or browser holds, with the payload it had: tokens of the upgrade's moment keep
// working and nobody is signed out. Grants, interactions and remembered proofs keep their
// ids; an interaction stored as a row no longer names the provider session's cookie.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { createAdapterFactory } from '../../src/modules/oidc/adapter.ts';
import { migrateToLatest, type Storage } from '../../src/storage/index.ts';
import { enginesUnderTest, type TestDatabase } from '../helpers/databases.ts';
import { migratedBefore } from '../helpers/migrated-before.ts';

const now = Date.now();
const inAnHour = now + 3_600_000;
const exp = Math.floor(inAnHour / 1000);

/** What the previous release stored: the id, and the payload with the id as its jti. */
const BEARER_RECORDS = [
  { model: 'AccessToken', id: 'at-0123456789abcdefghijklmnopqrstuvwxyzABCDE', extra: { clientId: 'ticketing', grantId: 'grant-1', accountId: 'c1.u1', sessionUid: 'uid-1' } },
  { model: 'RefreshToken', id: 'rt-0123456789abcdefghijklmnopqrstuvwxyzABCDE', extra: { clientId: 'ticketing', grantId: 'grant-1', accountId: 'c1.u1', rotations: 0 } },
  { model: 'AuthorizationCode', id: 'ac-0123456789abcdefghijklmnopqrstuvwxyzABCDE', extra: { clientId: 'ticketing', grantId: 'grant-1', accountId: 'c1.u1' } },
  { model: 'ClientCredentials', id: 'cc-0123456789abcdefghijklmnopqrstuvwxyzABCDE', extra: { clientId: 'psa-sync', extra: { gh_credential: 'tag' } } },
  { model: 'Session', id: 'se-0123456789abcdefghijklmnopqrstuvwxyzABCDE', extra: { uid: 'uid-1', accountId: 'c1.u1', authorizations: { ticketing: { sid: 'sid-1', grantId: 'grant-1' } } } },
];
const payloadOf = (record: (typeof BEARER_RECORDS)[number]) => ({ iat: exp - 600, exp, jti: record.id, kind: record.model, ...record.extra });

/** Enough client credentials tokens that the rewrite takes several statements. */
const MANY = Array.from({ length: 450 }, (_, i) => `many-${String(i).padStart(4, '0')}-0123456789abcdefghijklmnopqrstuvw`);

for (const engine of await enginesUnderTest()) {
  describe(`migration 0019: the provider's bearer records under hashed ids (${engine})`, () => {
    let database: TestDatabase;
    let storage: Storage;
    const interactionPayload = { jti: 'interaction-1', kind: 'Interaction', exp, session: { accountId: 'c1.u1', uid: 'uid-1', cookie: BEARER_RECORDS[4]?.id }, params: { client_id: 'ticketing' } };
    const untouched = [
      { model: 'Grant', id: 'grant-1', payload: JSON.stringify({ jti: 'grant-1', kind: 'Grant', accountId: 'c1.u1', clientId: 'ticketing', exp }) },
      { model: 'ReplayDetection', id: 'replay-hash', payload: JSON.stringify({ jti: 'replay-hash', kind: 'ReplayDetection', exp }) },
      { model: 'Interaction', id: 'interaction-mark', payload: '{}' },
    ];

    before(async () => {
      let raw: Kysely<any>;
      ({ database, storage, raw } = await migratedBefore(engine, '0019'));
      const row = (model: string, id: string, payload: object, columns: Record<string, unknown> = {}) => ({
        model,
        id,
        payload: JSON.stringify(payload),
        grant_id: null,
        user_code: null,
        uid: null,
        account_id: null,
        expires_at: inAnHour,
        consumed_at: null,
        ...columns,
      });
      await raw
        .insertInto('oidc_records')
        .values(BEARER_RECORDS.map((record) => row(record.model, record.id, payloadOf(record), { uid: record.model === 'Session' ? 'uid-1' : null, grant_id: 'grantId' in record.extra ? 'grant-1' : null })))
        .execute();
      await raw.insertInto('oidc_records').values(row('Interaction', 'interaction-1', interactionPayload)).execute();
      await raw.insertInto('oidc_records').values(untouched.map(({ model, id, payload }) => ({ ...row(model, id, {}), payload }))).execute();
      for (let at = 0; at < MANY.length; at += 100) {
        await raw
          .insertInto('oidc_records')
          .values(MANY.slice(at, at + 100).map((id) => row('ClientCredentials', id, { iat: exp - 600, exp, jti: id, kind: 'ClientCredentials', clientId: 'psa-sync' })))
          .execute();
      }
      await migrateToLatest(raw);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    const rows = () => storage.db.selectFrom('oidc_records').select(['model', 'id', 'payload']).execute();

    test('no row holds a token, code or provider session id as it was handed out', async () => {
      const stored = await rows();
      assert.equal(stored.length, BEARER_RECORDS.length + 1 + untouched.length + MANY.length, 'no row is lost');
      for (const value of [...BEARER_RECORDS.map((record) => record.id), ...MANY]) {
        for (const row of stored) {
          assert.ok(!row.id.includes(value) && !row.payload.includes(value), `${value} is still in a ${row.model} row`);
        }
      }
    });

    test('the adapter finds each record by the value its holder has, with the payload it had', async () => {
      const Adapter = createAdapterFactory(storage.db, () => Date.now());
      for (const record of BEARER_RECORDS) {
        assert.deepEqual(await new Adapter(record.model).find(record.id), payloadOf(record), record.model);
      }
      for (const id of [MANY[0], MANY[MANY.length - 1]] as string[]) {
        assert.equal((await new Adapter('ClientCredentials').find(id))?.jti, id);
      }
      assert.equal((await new Adapter('Session').findByUid('uid-1'))?.accountId, 'c1.u1', 'a provider session is found by its uid');
      const { cookie: _dropped, ...sessionKept } = interactionPayload.session;
      assert.deepEqual(await new Adapter('Interaction').find('interaction-1'), { ...interactionPayload, session: sessionKept });
    });

    test('grants, interaction marks and remembered proofs keep their ids and payloads', async () => {
      const stored = await rows();
      for (const record of untouched) {
        assert.deepEqual(
          stored.filter((row) => row.model === record.model && row.id === record.id).map(({ model, id, payload }) => ({ model, id, payload })),
          [record],
          `${record.model} ${record.id}`,
        );
      }
    });
  });
}

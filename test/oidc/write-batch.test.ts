// The resume's batch is conditional on its interaction's end, and the token route's on the
// spend of its code (src/modules/oidc/write-batch.ts): of two batches ending one interaction
// or spending one code, whichever is stored second writes nothing and says so; a code
// spent twice also ends its grant with the tokens the first exchange stored. Over HTTP
// (resume.test.ts, code-reuse.test.ts) SQLite rarely lets two requests both read the
// record before either stores; here both batches are made before either is stored, so
// both engines take the guarded path every time.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { AlreadySpent, InteractionAlreadyUsed, WriteBatch, type RecordValues } from '../../src/modules/oidc/write-batch.ts';

const record = (model: string, id: string, extra: Partial<RecordValues> = {}): RecordValues => ({
  model,
  id,
  payload: JSON.stringify({ jti: id }),
  grant_id: null,
  user_code: null,
  uid: null,
  account_id: null,
  expires_at: null,
  consumed_at: null,
  ...extra,
});

for (const engine of await enginesUnderTest()) {
  describe(`guarded batches: the resume's and the code exchange's (${engine})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ engine, quietWorkers: true });
    });
    after(() => server.close());

    const db = () => server.gatehouse.deps.db;
    const stored = async (model: string, id: string) =>
      (await db().selectFrom('oidc_records').select('id').where('model', '=', model).where('id', '=', id).execute()).length;
    const launches = async (target: string) =>
      (await db().selectFrom('audit_events').select('id').where('action', '=', 'module.launched').where('target', '=', target).execute()).length;

    /** A resume's batch: the interaction ended, a code and a provider session saved, the launch audited. */
    function resumeBatch(interaction: string, code: string, target: string) {
      const batch = new WriteBatch('resume');
      batch.destroy('Interaction', interaction);
      batch.save(record('AuthorizationCode', code, { grant_id: `grant-${code}` }), undefined);
      batch.save(record('Session', `session-${code}`, { uid: `uid-${code}` }), undefined);
      batch.audit({ companyId: null, actorId: null, action: 'module.launched', target });
      return batch;
    }

    const storings = [
      ['one after the other', async (a: WriteBatch, b: WriteBatch) => [await a.store(db(), 1).then(ok, fail), await b.store(db(), 2).then(ok, fail)]],
      ['at the same time', (a: WriteBatch, b: WriteBatch) => Promise.all([a.store(db(), 1).then(ok, fail), b.store(db(), 2).then(ok, fail)])],
    ] as const;
    // An interaction is carried by the browser (no row; carried-interaction.ts), or stored
    // as a row when too large to carry: either way its end is the mark of its uid as used.
    for (const [name, storeBoth] of storings) {
      for (const kept of ['carried', 'stored'] as const) {
        test(`two batches ending one ${kept} interaction, stored ${name}: one is stored whole, the other not at all`, async () => {
          const tag = `${kept}${name.replace(/\W/g, '')}`;
          const interaction = `interaction-${tag}`;
          const target = `module-${tag}`;
          if (kept === 'stored') await db().insertInto('oidc_records').values(record('Interaction', interaction, { expires_at: 60_000 })).execute();
          const outcomes = await storeBoth(resumeBatch(interaction, `${target}-a`, target), resumeBatch(interaction, `${target}-b`, target));

          assert.equal(outcomes.filter((outcome) => outcome === 'stored').length, 1, String(outcomes));
          assert.equal(outcomes.filter((outcome) => outcome instanceof InteractionAlreadyUsed).length, 1, String(outcomes));
          const winner = outcomes[0] === 'stored' ? 'a' : 'b';
          const loser = winner === 'a' ? 'b' : 'a';
          const marks = await db().selectFrom('oidc_records').select(['consumed_at', 'expires_at']).where('model', '=', 'Interaction').where('id', '=', interaction).execute();
          assert.equal(marks.length, 1);
          assert.ok(marks[0]?.consumed_at !== null && marks[0]?.expires_at !== null, 'the interaction is marked used, until it would have expired');
          assert.equal(await stored('AuthorizationCode', `${target}-${winner}`), 1);
          assert.equal(await stored('Session', `session-${target}-${winner}`), 1);
          assert.equal(await stored('AuthorizationCode', `${target}-${loser}`), 0, "the loser's code is not stored");
          assert.equal(await stored('Session', `session-${target}-${loser}`), 0, 'nor its provider session');
          assert.equal(await launches(target), 1, 'one launch audited');
        });
      }
    }

    /** A code exchange's batch: the code spent (the guard), an access and a refresh token saved. */
    function exchangeBatch(code: string, grant: string, tokens: string) {
      const batch = new WriteBatch('token');
      assert.equal(batch.guardSpend('AuthorizationCode', code, 5), true);
      assert.equal(batch.guardSpend('AuthorizationCode', 'another', 5), false, 'one guard per batch');
      batch.save(record('AccessToken', `${tokens}-access`, { grant_id: grant }), undefined);
      batch.save(record('RefreshToken', `${tokens}-refresh`, { grant_id: grant }), undefined);
      return batch;
    }

    for (const [name, storeBoth] of storings) {
      test(`two exchanges of one code, stored ${name}: one stores its tokens, the other nothing, and the grant ends`, async () => {
        const tag = name.replace(/\W/g, '');
        const [code, grant] = [`code-${tag}`, `grant-${tag}`];
        await db().insertInto('oidc_records').values([record('Grant', grant), record('AuthorizationCode', code, { grant_id: grant })]).execute();
        const outcomes = await storeBoth(exchangeBatch(code, grant, `${tag}-a`), exchangeBatch(code, grant, `${tag}-b`));

        assert.equal(outcomes.filter((outcome) => outcome === 'stored').length, 1, String(outcomes));
        assert.equal(outcomes.filter((outcome) => outcome instanceof AlreadySpent).length, 1, String(outcomes));
        const loser = outcomes[0] === 'stored' ? 'b' : 'a';
        assert.equal(await stored('AccessToken', `${tag}-${loser}-access`), 0, "the loser's tokens are never stored");
        // The replay ends the grant: the winner's tokens go with it (RFC 6749 §4.1.2).
        for (const [model, id] of [['Grant', grant], ['AuthorizationCode', code], ['AccessToken', `${tag}-a-access`], ['AccessToken', `${tag}-b-access`], ['RefreshToken', `${tag}-a-refresh`]]) {
          assert.equal(await stored(model as string, id as string), 0, `${model} ${id} is gone`);
        }
      });
    }

    test('a spend stored alone: a request that spent its code and saved nothing still stores the spend', async () => {
      await db().insertInto('oidc_records').values(record('AuthorizationCode', 'code-alone')).execute();
      const batch = new WriteBatch('token');
      batch.guardSpend('AuthorizationCode', 'code-alone', 7);
      assert.equal(batch.empty, false);
      await batch.store(db(), 7);
      const row = await db().selectFrom('oidc_records').select('consumed_at').where('model', '=', 'AuthorizationCode').where('id', '=', 'code-alone').executeTakeFirstOrThrow();
      assert.equal(Number(row.consumed_at), 7);
    });

    test('a batch reads its own writes: a saved record by id and by uid, a destroyed one as gone', () => {
      const batch = new WriteBatch('resume');
      batch.save(record('Session', 's1', { uid: 'u1' }), undefined);
      batch.destroy('Session', 's0');
      assert.deepEqual(batch.queued('Session', 's1'), { values: record('Session', 's1', { uid: 'u1' }), bound: false });
      assert.equal(batch.savedWhere('Session', (values) => values.uid === 'u1')?.id, 's1');
      assert.equal(batch.queued('Session', 's0'), 'destroyed');
      assert.equal(batch.queued('Session', 'other'), undefined);
    });
  });
}

const ok = () => 'stored' as const;
const fail = (error: unknown) => error;

// One storage suite, run on SQLite and on PostgreSQL: the guarantees the capabilities
// rely on (uniqueness per tenant, single use, atomic counters, leases) hold on both.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ensurePlatformCompany } from '../../src/companies/index.ts';
import { createCompany } from '../../src/companies/store.ts';
import { createPasswordHasher, createSecretBox } from '../../src/crypto/index.ts';
import { loadConfig } from '../../src/config.ts';
import { DEFAULT_LOCKOUT, reserveAttempt, lockIfExhausted } from '../../src/login/lockout.ts';
import { MAX_FAILURES } from '../../src/login/index.ts';
import { createMailboxTransport, createMailWorker, enqueueMail } from '../../src/mail/index.ts';
import type { CoreDeps } from '../../src/shared/deps.ts';
import { migrations, openStorage, type Storage } from '../../src/storage/index.ts';
import { createUser, findUserByUsername, getUser, issueSignupLink } from '../../src/users/index.ts';
import { consumeSignupLink } from '../../src/users/signup-links.ts';
import { createTestDatabase, enginesUnderTest, storageSettingsOf, type TestDatabase } from '../helpers/databases.ts';
import { TEST_SECRET_KEY } from '../helpers/server.ts';

const NOW = Date.UTC(2026, 10, 29, 12);

for (const engine of await enginesUnderTest()) {
  describe(`storage (${engine})`, () => {
    let database: TestDatabase;
    let storage: Storage;
    // A second node on the same database. node:sqlite is synchronous, so two SQLite
    // handles in one thread would wait on each other; the SQLite "second node" is a
    // child process instead (see multi-process.test.ts) and here it is the same handle.
    let second: Storage;

    before(async () => {
      database = await createTestDatabase(engine);
      if (engine === 'postgres') {
        // Two nodes starting together both migrate; the migrator's lock makes that safe.
        [storage, second] = await Promise.all([openStorage(storageSettingsOf(database)), openStorage(storageSettingsOf(database))]);
      } else {
        storage = await openStorage(storageSettingsOf(database));
        second = storage;
      }
    });
    after(async () => {
      await storage.close();
      if (second !== storage) await second.close();
      await database.drop();
    });

    test('migrations ran once and re-running them is a no-op', async () => {
      const applied = await storage.db.selectFrom('kysely_migration' as never).selectAll().execute();
      assert.deepEqual(applied.map((m: any) => m.name), Object.keys(migrations));
      const again = await openStorage(storageSettingsOf(database));
      await again.close();
    });

    test('company names are unique whatever their case and spacing', async () => {
      await createCompany(storage.db, { name: 'Northwind  Traders' }, NOW);
      await assert.rejects(createCompany(second.db, { name: ' northwind traders ' }, NOW), { code: 'company.name_taken' });
    });

    test('usernames are unique per company, not globally, and lookups are scoped by company', async () => {
      const a = await createCompany(storage.db, { name: 'Tenant A' }, NOW);
      const b = await createCompany(storage.db, { name: 'Tenant B' }, NOW);
      const alice = await createUser(storage.db, a.id, { username: 'alice', email: 'a@a.test', displayName: 'Alice', role: 'user' }, NOW);
      await createUser(storage.db, b.id, { username: 'Alice', email: 'a@b.test', displayName: 'Alice B', role: 'user' }, NOW);
      await assert.rejects(
        createUser(storage.db, a.id, { username: 'ALICE', email: 'x@a.test', displayName: 'X', role: 'user' }, NOW),
        { code: 'user.username_taken' },
      );
      assert.equal(await getUser(storage.db, b.id, alice.id), undefined, "B cannot read A's user by id");
      assert.equal((await findUserByUsername(storage.db, a.id, 'ALICE'))?.id, alice.id);
    });

    test('a company has at most one Root Master', async () => {
      const c = await createCompany(storage.db, { name: 'Single Root' }, NOW);
      await createUser(storage.db, c.id, { username: 'root1', email: 'r1@c.test', displayName: 'R1', role: 'root_master' }, NOW);
      await assert.rejects(
        createUser(second.db, c.id, { username: 'root2', email: 'r2@c.test', displayName: 'R2', role: 'root_master' }, NOW),
      );
    });

    test('a Sign Up link is consumed once, even by racing nodes, and a newer link revokes it', async () => {
      const c = await createCompany(storage.db, { name: 'Link Co' }, NOW);
      const u = await createUser(storage.db, c.id, { username: 'linker', email: 'l@c.test', displayName: 'L', role: 'root_master' }, NOW);
      const first = await issueSignupLink(storage.db, c.id, u.id, NOW, 3_600_000);
      const racers = Array.from({ length: 10 }, (_, i) => consumeSignupLink(i % 2 ? second.db : storage.db, first.token, NOW + 1));
      const winners = (await Promise.all(racers)).filter(Boolean);
      assert.equal(winners.length, 1);

      const older = await issueSignupLink(storage.db, c.id, u.id, NOW, 3_600_000);
      const newer = await issueSignupLink(storage.db, c.id, u.id, NOW, 3_600_000);
      assert.equal(await consumeSignupLink(storage.db, older.token, NOW + 1), undefined, 'revoked by the newer link');
      assert.equal(await consumeSignupLink(storage.db, newer.token, NOW + 3_600_000), undefined, 'expired');
      assert.ok(await consumeSignupLink(storage.db, newer.token, NOW + 1));
    });

    test('50 parallel password attempts reserve at most the allowed number of slots', async () => {
      const c = await createCompany(storage.db, { name: 'Lockout Co' }, NOW);
      const u = await createUser(storage.db, c.id, { username: 'target', email: 't@c.test', displayName: 'T', role: 'user' }, NOW);
      const slots = await Promise.all(
        Array.from({ length: 50 }, (_, i) => reserveAttempt(i % 2 ? second.db : storage.db, c.id, u.id, NOW)),
      );
      const granted = slots.filter((s) => s !== null) as number[];
      assert.equal(granted.length, MAX_FAILURES);
      assert.deepEqual([...granted].sort((x, y) => x - y), [1, 2, 3, 4, 5]);
      assert.equal(await lockIfExhausted(storage.db, { companyId: c.id, userId: u.id, ip: null, userAgent: null, after: 'password' }, MAX_FAILURES, NOW, DEFAULT_LOCKOUT), true);
      assert.equal(await reserveAttempt(storage.db, c.id, u.id, NOW + 60_000), null, 'locked');
      assert.equal(await reserveAttempt(storage.db, c.id, u.id, NOW + 16 * 60_000), 1, 'a fresh count after the lock');
    });

    test('a TOTP step is accepted once across nodes', async () => {
      const c = await createCompany(storage.db, { name: 'Totp Co' }, NOW);
      const u = await createUser(storage.db, c.id, { username: 'otp', email: 'o@c.test', displayName: 'O', role: 'user' }, NOW);
      const accept = (db: Storage['db'], step: number) =>
        db
          .updateTable('users')
          .set({ totp_last_step: step })
          .where('company_id', '=', c.id)
          .where('id', '=', u.id)
          .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
          .executeTakeFirst()
          .then((r) => Number(r.numUpdatedRows));
      const results = await Promise.all([accept(storage.db, 100), accept(second.db, 100), accept(storage.db, 100)]);
      assert.equal(results.reduce((a, b) => a + b, 0), 1);
      assert.equal(await accept(second.db, 99), 0, 'an older step is refused too');
    });

    test('two mail workers on one database deliver each message exactly once', async () => {
      const secrets = createSecretBox([TEST_SECRET_KEY]);
      for (let i = 0; i < 6; i++) {
        await enqueueMail(storage.db, secrets, NOW, { companyId: null, to: `n${i}@x.test`, subject: `S${i}`, html: '<p>x</p>', text: 'x' });
      }
      const clock = () => NOW + 1000;
      const workers = [storage, second].map((s) =>
        createMailWorker({ db: s.db, secrets, transport: createMailboxTransport(s.db, clock), from: 'noreply@x.test', clock }),
      );
      const sent = await Promise.all(workers.map((w) => w.runOnce()));
      assert.equal(sent[0]! + sent[1]!, 6);
      const mailbox = await storage.db.selectFrom('mailbox').select('recipient').execute();
      assert.equal(mailbox.length, 6);
      const outbox = await storage.db.selectFrom('outbox').select(['status', 'payload']).execute();
      assert.ok(outbox.every((row) => row.status === 'sent' && row.payload === null), 'bodies are erased once sent');
    });

    test('the platform company is created once even when nodes race', async () => {
      const config = loadConfig({ GATEHOUSE_DATA_DIR: database.dataDir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY });
      const deps = (s: Storage): CoreDeps => ({
        db: s.db,
        config,
        secrets: createSecretBox([TEST_SECRET_KEY]),
        hasher: createPasswordHasher(1),
        clock: () => NOW,
        deriveKey: () => Buffer.alloc(32),
        mailQueued: () => {},
        answerFloorMs: 0,
      });
      const [a, b] = await Promise.all([ensurePlatformCompany(deps(storage)), ensurePlatformCompany(deps(second))]);
      assert.equal(a.id, b.id);
    });
  });
}

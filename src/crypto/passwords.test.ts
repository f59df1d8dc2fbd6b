// The password hasher's gate: at most its limit of hashes run at once, and a queued hash
// whose caller no longer wants it when its turn comes never runs (a login's attempt slot
// is held only so long: src/login/lockout.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hash } from '@node-rs/argon2';
import { createPasswordHasher, HashNotStarted } from './passwords.ts';

test('a queued verify runs when its turn comes, unless its caller says it is too late', async () => {
  const hasher = createPasswordHasher(1);
  const stored = await hasher.hash('Gate-Keeper-2026!');
  let asked = 0;
  // The first takes the only place; the other two queue behind it, in order.
  const first = hasher.verify(stored, 'Gate-Keeper-2026!');
  const late = hasher.verify(stored, 'Gate-Keeper-2026!', () => {
    asked += 1;
    return false;
  });
  const inTime = hasher.verify(stored, 'Gate-Keeper-2026!', () => true);
  assert.deepEqual(hasher.load(), { running: 1, waiting: 2 });
  assert.equal(await first, true);
  await assert.rejects(late, HashNotStarted);
  assert.equal(asked, 1, 'asked once, when its turn came');
  // The late one passed its turn on: the next in line still runs.
  assert.equal(await inTime, true);
  assert.deepEqual(hasher.load(), { running: 0, waiting: 0 });
});

test('a verify that does not wait is never asked', async () => {
  const hasher = createPasswordHasher(2);
  const stored = await hasher.hash('Gate-Keeper-2026!');
  assert.equal(await hasher.verify(stored, 'Gate-Keeper-2026!', () => assert.fail('a hash with a free place runs at once')), true);
});

test('a password is hashed as its NFKC form; a hash stored before that, of the code points as typed, still verifies', async () => {
  const hasher = createPasswordHasher(2);
  const composed = 'Zürich-Kästchen-42!'.normalize('NFC');
  const decomposed = composed.normalize('NFD');
  const stored = await hasher.hash(decomposed);
  assert.equal(await hasher.verify(stored, composed), true, 'another spelling of the same password');
  assert.equal(await hasher.verify(stored, decomposed), true);
  assert.equal(await hasher.verify(stored, 'Zurich-Kastchen-42!'), false, 'letters without their marks are another password');

  // Stored as typed (decomposed) before normalization: the person typing it so still gets in.
  const legacy = await hash(decomposed, { algorithm: 2, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 });
  assert.equal(await hasher.verify(legacy, decomposed), true);
  assert.equal(await hasher.verify(legacy, 'Zürich-Kästchen-43!'.normalize('NFD')), false);
});

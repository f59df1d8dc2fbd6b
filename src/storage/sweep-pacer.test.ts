import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sweepPacer } from './sweep-pacer.ts';

test('a sweep is due first, then once per interval, and again at once after the clock is set back', () => {
  const due = sweepPacer(60_000);
  const start = 1_800_000_000_000;
  assert.equal(due(start), true, 'the first comer sweeps');
  assert.equal(due(start + 1), false);
  assert.equal(due(start + 59_999), false, 'not again within the minute');
  assert.equal(due(start + 60_000), true, 'a minute on');
  assert.equal(due(start + 60_001), false);
  assert.equal(due(start - 3_600_000), true, 'a clock set back an hour does not wait an hour');
});

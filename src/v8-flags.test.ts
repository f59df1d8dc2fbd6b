import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withYoungGenerationLimit, YOUNG_GENERATION_FLAG } from './v8-flags.ts';

test('the young generation limit is added unless the operator set one', () => {
  assert.deepEqual(withYoungGenerationLimit(['--enable-source-maps'], ''), ['--enable-source-maps', YOUNG_GENERATION_FLAG]);
  assert.deepEqual(withYoungGenerationLimit(['--max-semi-space-size=4'], ''), ['--max-semi-space-size=4']);
  assert.deepEqual(withYoungGenerationLimit([], '--max_semi_space_size=64'), []);
});

// Until restoreListFormat(), Intl.ListFormat makes formatters that word lists exactly as the
// built-in does (they build it on first use); afterwards Intl.ListFormat is the built-in.
import assert from 'node:assert/strict';
import { test } from 'node:test';

const builtIn = Intl.ListFormat;
const { restoreListFormat } = await import('./list-format-on-first-use.ts');

test('a formatter made meanwhile words lists as the built-in does, before and after the restore', () => {
  assert.notEqual(Intl.ListFormat, builtIn, 'replaced while the entry point imports');
  const conjunction = new Intl.ListFormat('en', { type: 'conjunction' });
  const disjunction = new Intl.ListFormat('en', { type: 'disjunction' });
  restoreListFormat();
  assert.equal(Intl.ListFormat, builtIn);
  const list = ["'code'", "'refresh_token'", "'client_credentials'"];
  assert.equal(conjunction.format(list), new builtIn('en', { type: 'conjunction' }).format(list));
  assert.equal(disjunction.format(list), "'code', 'refresh_token', or 'client_credentials'");
  assert.deepEqual(conjunction.formatToParts(['a', 'b']), new builtIn('en').formatToParts(['a', 'b']));
  assert.deepEqual(disjunction.resolvedOptions(), new builtIn('en', { type: 'disjunction' }).resolvedOptions());
  assert.deepEqual(Object.getOwnPropertyDescriptor(Intl, 'ListFormat'), { value: builtIn, writable: true, enumerable: false, configurable: true });
});

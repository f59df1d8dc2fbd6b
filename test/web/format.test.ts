// The web app's wording helpers, as people read them on the page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { possessive } from '../../web/src/format.ts';

test('possessive names read as English does', () => {
  assert.equal(possessive('Acme'), 'Acme\u2019s');
  assert.equal(possessive('Northwind Traders'), 'Northwind Traders\u2019');
  assert.equal(possessive('ACME SYSTEMS'), 'ACME SYSTEMS\u2019');
  assert.equal(possessive('Gatehouse'), 'Gatehouse\u2019s');
});

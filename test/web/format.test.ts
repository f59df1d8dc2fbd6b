// The web app's wording helpers, as people read them on the page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { possessive, waitEnds } from '../../web/src/format.ts';

test('possessive names read as English does', () => {
  assert.equal(possessive('Acme'), 'Acme\u2019s');
  assert.equal(possessive('Northwind Traders'), 'Northwind Traders\u2019');
  assert.equal(possessive('ACME SYSTEMS'), 'ACME SYSTEMS\u2019');
  assert.equal(possessive('Gatehouse'), 'Gatehouse\u2019s');
});

test('a wait the server gave reads as when it ends', () => {
  const now = new Date(2026, 11, 7, 10, 0, 0);
  assert.equal(waitEnds('60', now), 'in a minute');
  assert.equal(waitEnds('899.4', now), 'in 15 minutes');
  assert.equal(waitEnds('3600', now), 'in 60 minutes');
  assert.match(waitEnds('7200', now) ?? '', /^at 12:00|^at 12:00 PM|^at 12/);
  assert.match(waitEnds(String(20 * 3600), now) ?? '', /^on Tuesday at /);
  for (const unusable of [null, '', '0', '-5', 'soon', 'NaN']) assert.equal(waitEnds(unusable, now), undefined, String(unusable));
});

// How the web app's audit log words an event's detail (web/src/pages/audit/detailText.ts):
// the API clients a demotion, deactivation or deletion stopped are named, not shown as JSON.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detailText } from '../../web/src/pages/audit/detailText.ts';

const event = (detail: Record<string, unknown>) => ({ detail });

test('the API clients a change stopped are named in words', () => {
  const text = detailText(event({ username: 'morgan', apiClientsStopped: [{ clientId: 'ghapi_a', name: 'PSA sync' }, { clientId: 'ghapi_b', name: 'RMM "nightly"' }] }));
  assert.equal(text, 'API clients stopped: "PSA sync" (ghapi_a), "RMM "nightly"" (ghapi_b)');
});

test('other details stay key: value, and an unexpected shape falls back to JSON', () => {
  assert.equal(detailText(event({ reason: 'wrong_password', from: 'user' })), 'reason: wrong_password · from: user');
  assert.equal(detailText(event({ apiClientsStopped: 'odd' })), 'apiClientsStopped: odd');
});

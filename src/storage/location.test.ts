// What an operator's console shows of the database: never a secret, whichever way the
// connection string carries it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeDatabaseLocation } from './index.ts';

const SECRET = 'Sup3r-Secret-DB-Passw0rd';

test('a PostgreSQL URL is shown as user, host, port and database only', () => {
  assert.equal(
    describeDatabaseLocation({ kind: 'postgres', url: 'postgres://gatehouse@db.internal:6543/portal' }),
    'PostgreSQL postgres://gatehouse@db.internal:6543/portal',
  );
  assert.equal(describeDatabaseLocation({ kind: 'sqlite', file: '/var/lib/gatehouse/gatehouse.db' }), 'SQLite /var/lib/gatehouse/gatehouse.db');
});

test('no password is shown, in the authority, in any query setting or in the fragment', () => {
  const spellings = [
    `postgres://gatehouse:${SECRET}@db.internal/portal`,
    `postgresql://gatehouse@db.internal/portal?password=${SECRET}`,
    `postgres://gatehouse@db.internal/portal?sslmode=verify-full&sslpassword=${SECRET}`,
    `postgres://gatehouse@db.internal/portal?sslkey=/keys/${SECRET}.pem&sslcert=/keys/${SECRET}.crt`,
    `postgres://gatehouse@db.internal/portal?options=-c%20password%3D${SECRET}`,
    `postgres://gatehouse@db.internal/portal#${SECRET}`,
    `postgres://gatehouse:${encodeURIComponent(`${SECRET}@:/?#`)}@db.internal/portal`,
  ];
  for (const url of spellings) {
    const shown = describeDatabaseLocation({ kind: 'postgres', url });
    assert.ok(!shown.includes(SECRET), `${url} is shown as ${shown}`);
    assert.match(shown, /^PostgreSQL postgres(ql)?:\/\/gatehouse@db\.internal\/portal$/);
  }
});

test('a connection string that is not a URL is not echoed', () => {
  const shown = describeDatabaseLocation({ kind: 'postgres', url: `host=db.internal password=${SECRET}` });
  assert.ok(!shown.includes(SECRET), shown);
});

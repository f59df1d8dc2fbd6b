// The outage classification by whole SQLSTATE classes: generated codes from each class
// that means "the server cannot serve us now" are outages, however they are wrapped;
// codes that mean a bug or bad data never are (a 503 must not hide a 500).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { describeDatabaseError, isDatabaseUnavailable, isTransactionConflict, isUnrepresentableValue } from './errors.ts';

const char = fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ');
const codeIn = (classes: string[]) => fc.tuple(fc.constantFrom(...classes), char, char, char).map(([c, a, b, d]) => `${c}${a}${b}${d}`);

function pgError(code: string, severity = 'ERROR', message = 'from the server') {
  return Object.assign(new Error(message), { code, severity });
}

/** The same error as callers may meet it: bare, as a cause, inside an AggregateError. */
const wrapped = (error: Error) => [
  error,
  new Error('outer', { cause: error }),
  new Error('outermost', { cause: new Error('outer', { cause: error }) }),
  new AggregateError([new Error('other'), error], 'several'),
];

test('every code of an outage class is an outage, however it is wrapped', () => {
  fc.assert(
    fc.property(codeIn(['08', '28', '3D', '53', '57', '58']), (code) => {
      for (const error of wrapped(pgError(code))) assert.ok(isDatabaseUnavailable(error), code);
    }),
  );
});

test('a FATAL from the server is an outage whatever its code (55000 "not accepting connections")', () => {
  fc.assert(
    fc.property(codeIn(['55', '22', '42', 'XX', '0A']), fc.constantFrom('FATAL', 'PANIC'), (code, severity) => {
      assert.ok(isDatabaseUnavailable(pgError(code, severity)), `${severity} ${code}`);
    }),
  );
});

test('a bug or bad data is never taken for an outage', () => {
  // 22 data exception, 23 integrity, 42 syntax or access, XX internal, P0 PL/pgSQL,
  // 55 object state (outside a refused login), 40 other than the retried conflicts.
  const notOutage = codeIn(['22', '23', '42', 'XX', 'P0', '55', '2B', '44', '0A']).filter((c) => c !== '25006');
  fc.assert(
    fc.property(notOutage, (code) => {
      for (const error of wrapped(pgError(code))) assert.ok(!isDatabaseUnavailable(error), code);
    }),
  );
  for (const code of ['40001', '40P01']) {
    assert.ok(!isDatabaseUnavailable(pgError(code)), `${code} is a conflict, retried, not an outage`);
    assert.ok(isTransactionConflict(pgError(code)), code);
  }
  assert.ok(!isTransactionConflict(pgError('40002')), 'a deferred constraint failing is no conflict');
  assert.ok(!isDatabaseUnavailable(new Error('Cannot read properties of undefined')), 'a plain bug');
  assert.ok(!isDatabaseUnavailable('Connection terminated'), 'a string is not an error');
});

test("the drivers' own words for a lost or unobtainable connection, and socket errors", () => {
  const messages = [
    'Connection terminated unexpectedly',
    'Connection terminated',
    'Connection terminated due to connection timeout',
    'timeout exceeded when trying to connect',
    'Query read timeout',
    'Client has encountered a connection error and is not queryable',
    'Client was closed and is not queryable',
    'Cannot use a pool after calling end on the pool',
    'driver has already been destroyed',
    'Postgres connection has been discarded',
    'database is locked',
  ];
  for (const message of messages) for (const error of wrapped(new Error(message))) assert.ok(isDatabaseUnavailable(error), message);
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']) {
    const error = Object.assign(new Error(`connect ${code} 10.0.0.5:5432`), { code });
    for (const outer of wrapped(error)) assert.ok(isDatabaseUnavailable(outer), code);
  }
  // node:sqlite: SQLITE_BUSY (5) and its extended codes, LOCKED (6), FULL (13).
  for (const errcode of [5, 261, 517, 773, 6, 13]) {
    assert.ok(isDatabaseUnavailable(Object.assign(new Error('sqlite says no'), { code: 'ERR_SQLITE_ERROR', errcode })), String(errcode));
  }
  assert.ok(!isDatabaseUnavailable(Object.assign(new Error('UNIQUE constraint failed'), { code: 'ERR_SQLITE_ERROR', errcode: 2067 })));
});

test('a database error is logged as code and message only, never the client it hangs on', () => {
  const error = Object.assign(pgError('57P01', 'FATAL', 'terminating connection due to administrator command'), {
    client: { connectionParameters: { password: 'hunter2' } },
  });
  assert.deepEqual(describeDatabaseError(error), { code: '57P01', message: 'terminating connection due to administrator command' });
  assert.ok(!JSON.stringify(describeDatabaseError(error)).includes('hunter2'));
});

test('a value PostgreSQL cannot hold (22021, 22P05) is told apart, however it is wrapped; no other code is', () => {
  for (const code of ['22021', '22P05']) {
    for (const error of wrapped(pgError(code))) assert.ok(isUnrepresentableValue(error), code);
    assert.ok(!isDatabaseUnavailable(pgError(code)), `${code} is no outage`);
  }
  // Every other code: another data exception (22P02 a bad cast, 22001 too long) is our bug.
  const other = fc.oneof(codeIn(['22', '23', '42', '08', '57', 'XX']), fc.constantFrom('22P02', '22001', '22000', '22P04', '22020'));
  fc.assert(
    fc.property(other.filter((c) => c !== '22021' && c !== '22P05'), (code) => {
      for (const error of wrapped(pgError(code))) assert.ok(!isUnrepresentableValue(error), code);
    }),
  );
  assert.ok(!isUnrepresentableValue(new Error('invalid byte sequence for encoding "UTF8": 0x00')), 'the code decides, not the words');
  assert.ok(!isUnrepresentableValue('22021'), 'a string is not an error');
});

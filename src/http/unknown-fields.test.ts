// /api/v1 refuses a field its route does not take, by its dotted path, at any depth: a
// misspelt field inside an object or inside each object of a list is as silent a mistake
// as one at the top (zod would drop it and the request would answer 200 having ignored it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { unknownFields } from './unknown-fields.ts';

const schema = z.object({
  name: z.string(),
  policy: z.object({ minLength: z.number(), lock: z.object({ minutes: z.number() }).optional() }).optional(),
  rows: z.array(z.object({ email: z.string(), role: z.string().default('user') })),
  tags: z.array(z.string()).optional(),
  extra: z.looseObject({ known: z.string() }).optional(),
  either: z.union([z.object({ a: z.string() }), z.object({ b: z.string() })]).optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

const paths = (data: unknown) => Object.keys(unknownFields(schema, data) ?? {}).sort();

test('a body that names only what its schema takes has no unknown field', () => {
  assert.equal(unknownFields(schema, { name: 'x', policy: { minLength: 3, lock: { minutes: 5 } }, rows: [{ email: 'a@b.c' }], tags: ['t'] }), undefined);
});

test('every field the schema does not take is named by its dotted path, at any depth and in every row of a list', () => {
  assert.deepEqual(paths({ nmae: 'x', policy: { minLenght: 3, lock: { mintues: 5 } }, rows: [{ email: 'a' }, { emial: 'b', role: 'user', x: 1 }] }), [
    'nmae',
    'policy.lock.mintues',
    'policy.minLenght',
    'rows.1.emial',
    'rows.1.x',
  ]);
});

test('what the schema takes as anything (a loose object, a union, a record, a list of scalars) is not looked into', () => {
  assert.deepEqual(paths({ name: 'x', rows: [], tags: ['a'], extra: { known: 'k', other: 1 }, either: { a: 'x', c: 1 }, labels: { any: 'y' } }), []);
});

test('a value of the wrong kind is left to validation, not named unknown', () => {
  assert.deepEqual(paths({ name: 'x', rows: 'not a list', policy: [1, 2] }), []);
});

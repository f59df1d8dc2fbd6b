// The bulk-invite CSV reader against RFC 4180's cases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBlankRecord, parseCsv } from './csv.ts';

test('plain, quoted, escaped and multi-line fields; CRLF or LF; BOM; final line break', () => {
  const parsed = parseCsv('\uFEFFa,b,c\r\n"x, y","say ""hi""","two\nlines"\n,,\nlast,"",end\n');
  assert.deepEqual(parsed, {
    ok: true,
    records: [
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', 'two\nlines'],
      ['', '', ''],
      ['last', '', 'end'],
    ],
  });
  assert.deepEqual(parseCsv('one'), { ok: true, records: [['one']] });
  assert.deepEqual(parseCsv(''), { ok: true, records: [] });
  assert.deepEqual(parseCsv('a,\n'), { ok: true, records: [['a', '']] });
});

test('malformed quoting is refused with the line', () => {
  assert.deepEqual(parseCsv('a\n"open'), { ok: false, problem: 'Line 2: a quoted field is not closed.' });
  const stray = parseCsv('a\nb"c');
  assert.ok(!stray.ok && stray.problem.startsWith('Line 2: a quote may only wrap a whole field'));
  assert.equal(parseCsv('"a"b').ok, false);
});

test('blank records', () => {
  assert.equal(isBlankRecord(['', ' ']), true);
  assert.equal(isBlankRecord(['', 'x']), false);
});

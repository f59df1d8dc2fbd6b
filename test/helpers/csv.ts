// A strict reader for the CSV Gatehouse exports: every row ends in CRLF, every non-empty
// cell is quoted with quotes doubled inside, and every row has the header's width.
import assert from 'node:assert/strict';

export function parseStrictCsv(text: string): string[][] {
  assert.ok(text.endsWith('\r\n'), 'the last row ends with CRLF');
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let cell = '';
      i += 1;
      for (;;) {
        const quote = text.indexOf('"', i);
        assert.ok(quote >= 0, 'a quoted cell is closed');
        cell += text.slice(i, quote);
        i = quote + 1;
        if (text[i] !== '"') break;
        cell += '"';
        i += 1;
      }
      row.push(cell);
    } else {
      assert.ok(text[i] === ',' || text[i] === '\r', `an unquoted cell is empty (at ${i}: ${JSON.stringify(text.slice(i, i + 20))})`);
      row.push('');
    }
    if (text[i] === ',') {
      i += 1;
      if (text[i] === '\r') row.push('');
      else continue;
    }
    assert.equal(text.slice(i, i + 2), '\r\n', `a row ends with CRLF (at ${i})`);
    i += 2;
    rows.push(row);
    row = [];
  }
  const width = rows[0]?.length;
  for (const r of rows) assert.equal(r.length, width, `every row has ${width} cells: ${JSON.stringify(r)}`);
  return rows;
}

/** Rows as objects keyed by the header row. */
export function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseStrictCsv(text);
  assert.ok(header);
  return rows.map((r) => Object.fromEntries(header.map((name, k) => [name, r[k] ?? ''])));
}

// A small RFC 4180 reader for the bulk-invite file (no CSV package is installed, and the
// format is tiny): comma-separated fields, CRLF or LF between records, fields in double
// quotes may hold commas, line breaks and doubled quotes (""). A leading BOM is dropped.

export type CsvResult = { ok: true; records: string[][] } | { ok: false; problem: string };

export function parseCsv(input: string): CsvResult {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let afterQuote = false;
  let line = 1;
  const endField = () => {
    record.push(field);
    field = '';
    afterQuote = false;
  };
  const endRecord = () => {
    endField();
    records.push(record);
    record = [];
  };
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') {
        quoted = false;
        afterQuote = true;
      } else {
        if (ch === '\n') line += 1;
        field += ch;
      }
    } else if (ch === ',') {
      endField();
    } else if (ch === '\n' || (ch === '\r' && text[i + 1] === '\n')) {
      if (ch === '\r') i += 1;
      endRecord();
      line += 1;
    } else if (ch === '"' && field === '' && !afterQuote) {
      quoted = true;
    } else if (afterQuote || ch === '"') {
      return { ok: false, problem: `Line ${line}: a quote may only wrap a whole field (write "" for a quote inside one).` };
    } else {
      field += ch;
    }
  }
  if (quoted) return { ok: false, problem: `Line ${line}: a quoted field is not closed.` };
  // A final line break ends the last record rather than starting an empty one.
  if (field !== '' || afterQuote || record.length > 0) endRecord();
  return { ok: true, records };
}

/** True for a record with nothing in it (a blank line, or only commas). */
export function isBlankRecord(record: string[]): boolean {
  return record.every((value) => value.trim() === '');
}

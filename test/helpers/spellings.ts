// The many ways to spell one URL, sent byte for byte. fetch() normalises a URL before it
// sends it (dot segments, the scheme's case), so the raw requests go through node:http,
// which sends the path as given: what an attacker's own client would do.
import http from 'node:http';
import fc from 'fast-check';
import type { Database } from '../../src/storage/schema.ts';
import type { TestServer } from './server.ts';

export interface RawAnswer {
  status: number;
  body: any;
  headers: http.IncomingHttpHeaders;
}

export function rawRequest(baseUrl: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { agent: false, host: hostname === 'localhost' ? '127.0.0.1' : hostname, port, method, path, headers: { host: new URL(baseUrl).host, ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          if (/application\/(problem\+)?json/.test(String(response.headers['content-type'] ?? ''))) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
          }
          resolve({ status: response.statusCode ?? 0, body: parsed, headers: response.headers });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

type Edit =
  | { op: 'encode' | 'case' | 'double-encode' | 'double-slash' | 'dot' | 'dot-dot' | 'backslash'; at: number; upper: boolean }
  | { op: 'trailing-slash' | 'semicolon' | 'query' | 'fragment' | 'absolute'; at: number; upper: boolean };

const hex = (char: string, upper: boolean) => {
  const code = char.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? code.toUpperCase() : code.toLowerCase()}`;
};

/** Applies edits to a path held as units (one character, or one %XX escape, each). */
export function spell(path: string, edits: Edit[], origin: string): string {
  const units = [...path];
  let prefix = '';
  let suffix = '';
  // The first `/` may be doubled or dotted, but stays a `/`: a request target that does not
  // start with one is refused by Node's HTTP parser before any router sees it.
  const pick = (at: number, fits: (unit: string) => boolean, first = false) => {
    const candidates = units.map((u, i) => [u, i] as const).filter(([u, i]) => (first || i > 0) && fits(u));
    return candidates.length === 0 ? undefined : candidates[at % candidates.length]?.[1];
  };
  for (const edit of edits) {
    let i: number | undefined;
    switch (edit.op) {
      case 'encode':
        if ((i = pick(edit.at, (u) => u.length === 1)) !== undefined) units[i] = hex(units[i] as string, edit.upper);
        break;
      case 'double-encode':
        if ((i = pick(edit.at, (u) => u.startsWith('%'))) !== undefined) units[i] = `%25${(units[i] as string).slice(1)}`;
        break;
      case 'case':
        if ((i = pick(edit.at, (u) => /^[a-zA-Z]$/.test(u))) !== undefined) {
          const u = units[i] as string;
          units[i] = u === u.toUpperCase() ? u.toLowerCase() : u.toUpperCase();
        }
        break;
      case 'double-slash':
        if ((i = pick(edit.at, (u) => u === '/', true)) !== undefined) units[i] = '//';
        break;
      case 'dot':
        if ((i = pick(edit.at, (u) => u === '/', true)) !== undefined) units[i] = edit.upper ? '/%2e/' : '/./';
        break;
      case 'dot-dot':
        if ((i = pick(edit.at, (u) => u === '/', true)) !== undefined) units[i] = edit.upper ? '/x/%2E%2E/' : '/x/../';
        break;
      case 'backslash':
        if ((i = pick(edit.at, (u) => u === '/')) !== undefined) units[i] = '\\';
        break;
      case 'trailing-slash':
        suffix += '/';
        break;
      case 'semicolon':
        suffix += ';jsessionid=1';
        break;
      case 'query':
        suffix += edit.upper ? '?a=1&a=2' : '?x';
        break;
      case 'fragment':
        suffix += '#top';
        break;
      case 'absolute':
        prefix = origin;
        break;
    }
  }
  return prefix + units.join('') + suffix;
}

const editArbitrary: fc.Arbitrary<Edit> = fc.record({
  op: fc.constantFrom(
    'encode', 'encode', 'encode', 'case', 'double-encode', 'double-slash', 'dot', 'dot-dot', 'backslash',
    'trailing-slash', 'semicolon', 'query', 'fragment', 'absolute',
  ),
  at: fc.nat(),
  upper: fc.boolean(),
}) as fc.Arbitrary<Edit>;

/** Spellings of `path`: percent-encoded characters, doubled slashes, dot segments, case, suffixes. */
export function spellings(path: string, origin: string): fc.Arbitrary<string> {
  return fc.array(editArbitrary, { minLength: 1, maxLength: 5 }).map((edits) => spell(path, edits, origin));
}

/** `/api/...` spelled `/%61pi/...`: the spelling the independent test found. */
export const encodedFirstLetter = (path: string) => `/%${path.charCodeAt(1).toString(16)}${path.slice(2)}`;

// The mail tables change on their own as the worker delivers; everything else only on a request.
const TABLES: Array<keyof Database> = [
  'companies', 'account_requests', 'users', 'action_links', 'login_flows', 'sessions', 'audit_events',
  'settings', 'modules', 'company_modules', 'oidc_records', 'signing_keys', 'recovery_codes', 'approvals', 'login_throttle', 'rate_caps',
];

/** Every row of every table, in a stable order: two equal snapshots mean no state changed. */
export async function snapshot(server: TestServer): Promise<string> {
  const db = server.gatehouse.deps.db;
  const parts: string[] = [];
  for (const table of TABLES) {
    const rows = (await db.selectFrom(table).selectAll().execute()) as unknown[];
    parts.push(table, ...rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).sort());
  }
  return parts.join('\n');
}

// The docs name what the code has, and only that: the environment variables
// (docs/CONFIG.md), the error codes (docs/*.md), the metrics (docs/OPERATIONS.md) and the
// commands (README.md, docs/OPERATIONS.md). Every list is read from the sources as text, so
// a new one without docs, or docs left behind by a removed one, fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { collectDefaultMetrics, Registry } from 'prom-client';

const ROOT = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, ROOT), 'utf8');

/** The source files under `dir`, tests left out unless asked for. */
function sources(dir: string, withTests = false): string[] {
  return readdirSync(new URL(dir, ROOT), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|tsx|js|mjs)$/.test(file) && !file.includes('node_modules') && (withTests || !/\.test\.tsx?$/.test(file)))
    .map((file) => `${dir}/${file}`);
}

const DOCS = ['README.md', ...readdirSync(new URL('docs', ROOT)).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`)];

/** The text of `file` from `start` to the first `end` after it. */
function between(file: string, start: string, end: string): string {
  const text = read(file);
  const from = text.indexOf(start);
  const to = text.indexOf(end, from + start.length);
  assert.ok(from >= 0 && to > from, `${file}: no "${start.trim()}" ... "${end.trim()}" to read`);
  return text.slice(from, to);
}

/** Each first capture of `pattern` in `text`. */
const captures = (text: string, pattern: RegExp) => new Set([...text.matchAll(pattern)].map((match) => match[1] ?? ''));
const escaped = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `name` as a whole word: `request.invalid` is not in `request.invalid_x`, nor `PORT` in `GATEHOUSE_METRICS_PORT`. */
const mentions = (text: string, name: string) => new RegExp(`(?<![\\w.])${escaped(name)}(?![\\w])`).test(text);

function none(problems: Iterable<string>, what: string) {
  const list = [...problems].sort();
  assert.deepEqual(list, [], `${what}: ${list.join(', ')}`);
}

test('docs/CONFIG.md names every variable the configuration reads, and none the code does not', () => {
  const schema = captures(between('src/config.ts', 'const envSchema = z.object({', '\n});'), /^ {2}([A-Z][A-Z0-9_]*):/gm);
  assert.ok(schema.has('PORT') && schema.has('GATEHOUSE_PUBLIC_URL'), 'src/config.ts: the env schema is read');
  // `process.env.X`, `env.X` and `env['X']`: the variables each file reads besides the schema.
  const reads = (files: string[]) => new Set(files.flatMap((file) => [...captures(read(file), /\benv(?:\.|\[['"])([A-Z][A-Z0-9_]*)/g)]));
  const settings = [...schema, ...[...reads(sources('src'))].filter((name) => name.startsWith('GATEHOUSE_'))];
  const doc = read('docs/CONFIG.md');
  none(settings.filter((name) => !mentions(doc, name)), 'read by src/ but missing from docs/CONFIG.md');
  const code = new Set([...schema, ...reads(['src', 'test', 'bench', 'scripts', 'examples'].flatMap((dir) => sources(dir, true)))]);
  const named = captures(doc, /\b(GATEHOUSE_[A-Z0-9_]*[A-Z0-9]|PORT|HOST)\b/g);
  none([...named].filter((name) => !code.has(name)), 'named in docs/CONFIG.md but read nowhere in the code');
});

test('the docs name every error code the code answers with, and none that is not registered', () => {
  const registered = captures(between('src/errors.ts', 'const registry = {', '} as const satisfies'), /^ {2}'([a-z0-9_.]+)':/gm);
  assert.ok(registered.has('request.invalid'), 'src/errors.ts: the registry is read');
  const code = sources('src').filter((file) => file !== 'src/errors.ts').map(read).join('\n');
  const answered = [...registered].filter((name) => code.includes(`'${name}'`));
  // A registered code nothing answers with is dead: its message would be documented for nothing.
  none([...registered].filter((name) => !answered.includes(name)), 'registered in src/errors.ts but used nowhere in src/');
  const docs = DOCS.map(read).join('\n');
  none(answered.filter((name) => !mentions(docs, name)), 'error codes in src/errors.ts missing from every doc (docs/*.md, README.md)');
  // A doc names a code with its status (`409 company.name_taken`) or in the error shape.
  const stale = DOCS.flatMap((file) => {
    const text = read(file);
    const named = [
      ...captures(text, /\b[1-5]\d\d`?\s+`?([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)\b/g),
      ...captures(text, /"code":\s*"([^"]+)"/g),
    ];
    return named.filter((name) => !registered.has(name)).map((name) => `${file}: ${name}`);
  });
  none(stale, 'error codes in the docs that src/errors.ts does not register');
});

test('docs/OPERATIONS.md (Metrics) names every metric the code registers, and none it does not', () => {
  const registered = new Set(sources('src/metrics').flatMap((file) => [...captures(read(file), /'(gatehouse_[a-z0-9_]+)'/g)]));
  assert.ok(registered.size > 0, 'src/metrics: no gatehouse_ metric found');
  // prom-client's own process and Node.js metrics, under the prefix the code gives them.
  const prefix = /collectDefaultMetrics\(\{[^}]*prefix: '([^']+)'/.exec(read('src/metrics/registry.ts'))?.[1];
  assert.ok(prefix, 'src/metrics/registry.ts: the default metrics prefix is read');
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults, prefix });
  const all = [...registered, ...defaults.getMetricsAsArray().map((metric) => metric.name)];
  const section = between('docs/OPERATIONS.md', '\n## Metrics\n', '\n## ');
  none([...registered].filter((name) => !mentions(section, name)), 'metrics missing from docs/OPERATIONS.md, "Metrics"');
  const named = captures(section, /\b(gatehouse_[a-z0-9_]+\*?)/g);
  const exists = (name: string) =>
    name.endsWith('*') ? all.some((metric) => metric.startsWith(name.slice(0, -1))) : all.includes(name.replace(/_(bucket|sum|count)$/, ''));
  none([...named].filter((name) => !exists(name)), 'metrics named in docs/OPERATIONS.md, "Metrics", that the code does not register');
});

test('README.md or docs/OPERATIONS.md shows every command, and no doc shows one the CLI lacks', () => {
  const commands = new Set(sources('src/cli').flatMap((file) => [...captures(read(file), /^ {2}name: '([a-z][a-z -]*)',$/gm)]));
  assert.ok(commands.has('serve'), 'src/cli: the commands are read');
  const guides = read('README.md') + read('docs/OPERATIONS.md');
  const shown = (name: string) => new RegExp(`\\bgatehouse ${escaped(name)}(?![\\w-])`).test(guides);
  none([...commands].filter((name) => !shown(name)), 'commands in src/cli missing from README.md and docs/OPERATIONS.md');
  // A command as the docs show it: in code (after a backtick, `npx ` or at a line's start),
  // its first word and the second if there is one (a subcommand, or an argument).
  const exists = (first: string, second: string | undefined) =>
    commands.has(first) ||
    (second !== undefined && commands.has(`${first} ${second}`)) ||
    (second === undefined && [...commands].some((name) => name.startsWith(`${first} `)));
  const unknown = DOCS.flatMap((file) =>
    [...read(file).matchAll(/(?:^[ \t]*|`|\bnpx )gatehouse ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?/gm)]
      .filter(([, first = '', second]) => !exists(first, second))
      .map(([shownAs]) => `${file}: ${shownAs.trim()}`),
  );
  none(unknown, 'commands shown in the docs that src/cli does not define');
});

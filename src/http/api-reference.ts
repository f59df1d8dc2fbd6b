// The API reference in Markdown, rendered from the OpenAPI document the contract makes:
// docs/API-REFERENCE.md is this function's output (`npm run docs:api`), and a test
// fails when the file and the running server disagree, so the docs cannot drift.

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  additionalProperties?: boolean | Schema;
  prefixItems?: Schema[];
};
type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { in: string; name: string; required?: boolean; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses?: Record<string, Answer>;
};
type Answer = { $ref?: string; description?: string; headers?: Record<string, unknown>; content?: Record<string, { schema?: Schema }> };
type Document = {
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { responses?: Record<string, Answer> };
};

/** A JSON schema as a short TypeScript-like type: `{ id: string (uuid), note?: string | null }`. */
export function typeOf(schema: Schema | undefined, depth = 0): string {
  if (!schema) return 'unknown';
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return [...new Set(union.map((s) => typeOf(s, depth)))].join(' | ');
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const types = [schema.type ?? 'unknown'].flat();
  const shown = types.map((type) => {
    if (type === 'array') return schema.prefixItems ? `[${schema.prefixItems.map((s) => typeOf(s, depth)).join(', ')}]` : `${wrap(typeOf(schema.items, depth))}[]`;
    if (type === 'object') return objectOf(schema, depth);
    if (type === 'integer') return 'integer';
    if (type === 'string' && schema.format) return `string (${schema.format})`;
    return type;
  });
  return shown.join(' | ');
}

const wrap = (type: string) => (type.includes(' | ') ? `(${type})` : type);

function objectOf(schema: Schema, depth: number): string {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) {
    return typeof schema.additionalProperties === 'object' ? `{ [key: string]: ${typeOf(schema.additionalProperties, depth)} }` : '{}';
  }
  const required = new Set(schema.required ?? []);
  const pad = '  '.repeat(depth + 1);
  const lines = properties.map(([name, value]) => `${pad}${name}${required.has(name) ? '' : '?'}: ${typeOf(value, depth + 1)}`);
  return `{\n${lines.join(',\n')}\n${'  '.repeat(depth)}}`;
}

function who(operation: Operation): string {
  const ways = (operation.security ?? []).flatMap((s) => Object.keys(s));
  if (ways.length === 0) return 'public';
  return ways.map((way) => (way === 'bearer' ? 'API client (bearer token)' : 'session cookie')).join(' or ');
}

function operationSection(method: string, path: string, operation: Operation, shared: Record<string, Answer>): string[] {
  const out = [`### \`${method.toUpperCase()} ${path}\``, ''];
  if (operation.summary) out.push(`${operation.summary}.`, '');
  out.push(`Who: ${who(operation)}. ${operation.description ?? ''}`.trim(), '');
  const parameters = operation.parameters ?? [];
  if (parameters.length > 0) {
    out.push('| parameter | in | type | required |', '|---|---|---|---|');
    for (const p of parameters) out.push(`| \`${p.name}\` | ${p.in} | ${typeOf(p.schema).replace(/\|/g, '\\|')} | ${p.required ? 'yes' : 'no'} |`);
    out.push('');
  }
  const body = operation.requestBody?.content['application/json']?.schema;
  if (body) out.push('Body:', '', '```ts', typeOf(body), '```', '');
  const answers = Object.entries(operation.responses ?? {});
  for (const [status, response] of answers.filter(([status]) => /^2/.test(status))) {
    const headers = Object.keys(response.headers ?? {});
    for (const [type, { schema }] of Object.entries(response.content ?? {})) {
      const shape = type === 'application/json' ? typeOf(schema) : `${type} file`;
      const notes = [...(type === 'application/json' ? [] : [type]), ...(headers.length > 0 ? [`headers ${headers.join(', ')}`] : [])];
      out.push(`Answer \`${status}\`${notes.length > 0 ? ` (${notes.join('; ')})` : ''}:`, '', '```ts', shape, '```', '');
    }
  }
  const refusals = answers.filter(([status]) => /^[45]/.test(status));
  if (refusals.length > 0) {
    out.push('Refusals (problem details):', '', ...refusals.map(([status, answer]) => `- ${refusalOf(status, answer.$ref ? shared[answer.$ref.split('/').at(-1) as string] : answer)}`), '');
  }
  return out;
}

/** A refusal status with the codes its description names (`409 group.name_taken`). */
function refusalOf(status: string, answer: Answer | undefined): string {
  const codes = [...(answer?.description ?? '').matchAll(/`([a-z0-9_]+\.[a-z0-9_]+)`/g)].map((match) => `\`${match[1]}\``);
  return `\`${status}\`${codes.length > 0 ? ` ${codes.join(', ')}` : ''}`;
}

/** The whole reference, grouped by tag in the order tags first appear. */
export function renderApiReference(document: Document): string {
  const byTag = new Map<string, string[]>();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const tag = operation.tags?.[0] ?? 'Other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), ...operationSection(method, path, operation, document.components?.responses ?? {})]);
    }
  }
  const out = [
    `# ${document.info.title} reference (version ${document.info.version})`,
    '',
    '<!-- Generated from GET /api/openapi.json by `npm run docs:api`; do not edit by hand. -->',
    '',
    'Every JSON route, its parameters, body and answers, as the server declares them. Errors have',
    'one shape on every route (see [API.md](API.md)); the guide there says what the routes mean.',
    'Each /api/v1 operation lists the statuses it refuses with (RFC 9457 problem details, with',
    'the codes particular to it) and the headers its answers carry.',
    '',
    ...[...byTag.keys()].map((tag) => `- [${tag}](#${tag.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')})`),
    '',
  ];
  for (const [tag, lines] of byTag) out.push(`## ${tag}`, '', ...lines);
  return `${out.join('\n').trimEnd()}\n`;
}

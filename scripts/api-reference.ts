// Writes docs/API-REFERENCE.md from the contract: a Gatehouse is built on a throwaway
// database (nothing listens), its OpenAPI document rendered to Markdown.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createGatehouse } from '../src/gatehouse.ts';
import { renderApiReference } from '../src/http/api-reference.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-docs-'));
try {
  const config = loadConfig({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'silent' });
  const gatehouse = await createGatehouse(config, { mailWorkerIntervalMs: null, backchannelWorkerIntervalMs: null });
  await gatehouse.http.ready();
  const target = new URL('../docs/API-REFERENCE.md', import.meta.url);
  // The document the server serves (made on first request: src/http/openapi-document.ts).
  const document = (await gatehouse.http.inject({ method: 'GET', url: '/api/openapi.json' })).json();
  writeFileSync(target, renderApiReference(document as never));
  await gatehouse.close();
  console.log(`wrote ${target.pathname}`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

// The stage every browser test plays on: a real Gatehouse over https with a throwaway
// certificate (trusted by this process's own fetches while the scene runs, so HTTP
// helpers and token calls reach it), the web app built beforehand, and everything the
// scene opened closed in order afterwards, whatever happened.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createTestCertificate, type TestCertificate } from '../helpers/tls.ts';
import { assertInstalled, type EngineName } from './browsers/index.ts';
import { cleanUp, playOnClock } from './support.ts';

const WEB_BUILD = fileURLToPath(new URL('../../web/dist/index.html', import.meta.url));

export interface Stage {
  server: TestServer;
  certificate: TestCertificate;
  /** Closed before the server, in the order given: the browser first (it talks to the servers), then a demo module. */
  closeFirst(what: string, close: () => unknown): void;
}

export async function onHttpsGatehouse(engine: EngineName, scene: (stage: Stage) => Promise<void>, options: { mailbox?: boolean } = {}) {
  const trusted = tls.getCACertificates('default');
  const closers: [string, () => unknown][] = [];
  let certificate: TestCertificate | undefined;
  let server: TestServer | undefined;
  try {
    assertInstalled(engine);
    // The server serves the web app built before it starts (npm test builds it first).
    assert.ok(existsSync(WEB_BUILD), `no web app build at ${WEB_BUILD}: run \`npx node scripts/build-web.ts\` first`);
    certificate = createTestCertificate();
    tls.setDefaultCACertificates([...trusted, readFileSync(certificate.certFile, 'utf8')]);
    server = await startTestServer({ runningClock: true, env: certificate.env, ...(options.mailbox ? { mailbox: true } : {}) });
    playOnClock(server.clock);
    await scene({ server, certificate, closeFirst: (what, close) => closers.push([what, close]) });
  } finally {
    await cleanUp(engine, [
      ...closers,
      ['stopping Gatehouse', () => server?.close()],
      ['removing the certificate', () => certificate?.remove()],
      ['restoring the trusted certificates', () => tls.setDefaultCACertificates(trusted)],
      ['leaving the stage clock', () => playOnClock(null)],
    ]);
  }
}

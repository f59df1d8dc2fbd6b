// A throwaway self-signed certificate for localhost, so browser tests can serve Gatehouse
// over https: the `__Host-` cookies are Secure, and WebKit drops Secure cookies on http.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  /** GATEHOUSE_TLS_CERT_FILE / GATEHOUSE_TLS_KEY_FILE for startTestServer's env. */
  env: Record<string, string>;
  remove(): void;
}

export function createTestCertificate(): TestCertificate {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '1',
        '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const detail = (error as { stderr?: Buffer }).stderr?.toString().trim() || String(error);
    throw new Error(`could not make a self-signed certificate with openssl (apt-get install openssl): ${detail}`);
  }
  return {
    certFile,
    keyFile,
    env: { GATEHOUSE_TLS_CERT_FILE: certFile, GATEHOUSE_TLS_KEY_FILE: keyFile },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

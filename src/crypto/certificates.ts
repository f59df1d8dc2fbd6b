// X.509 certificates a company's SAML provider signs with: read them to show a Master
// what is stored (subject, expiry, fingerprint), and refuse what is not a certificate.
import { X509Certificate } from 'node:crypto';

export interface CertificateSummary {
  subject: string;
  notAfter: string;
  fingerprint: string;
}

/** Undefined when `pem` is not a readable certificate. */
export function describeCertificate(pem: string): CertificateSummary | undefined {
  try {
    const cert = new X509Certificate(pem);
    return { subject: cert.subject.replace(/\n/g, ', '), notAfter: new Date(cert.validTo).toISOString(), fingerprint: cert.fingerprint256 };
  } catch {
    return undefined;
  }
}

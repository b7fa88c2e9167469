import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import selfsigned, { type CertificateExtension } from 'selfsigned';

/** A PEM certificate and its PEM private key. */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

export interface CertificateAuthorityOptions {
  readonly commonName: string;
  readonly validityMs: number;
  readonly now?: Date;
}

export interface LeafCertificateOptions {
  readonly ca: KeyPair;
  readonly commonName: string;
  /** Subject organization; Kubernetes maps it to the client's groups. */
  readonly organization?: string;
  /** DNS names and IP addresses for the subjectAltName extension. */
  readonly hosts?: readonly string[];
  readonly usage: 'server' | 'client';
  readonly validityMs: number;
  readonly now?: Date;
}

// Go clients such as kube-apiserver reject SHA-1 signatures, and selfsigned
// signs with SHA-1 by default. P-256 keys are quick to generate,
// so a certificate costs milliseconds instead of the tens of ms an RSA key takes.
const keyOptions = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const;

// Backdating notBefore tolerates small clock skew between this process and
// the API server that verifies the certificate. A short-lived certificate is
// backdated by a tenth of its validity at most, because renewal is scheduled
// at a fraction of notBefore to notAfter and a long backdate would make a
// fresh certificate look due at once.
const clockSkewMs = 5 * 60 * 1000;

function validity(now: Date | undefined, validityMs: number) {
  const start = now ?? new Date();
  const backdateMs = Math.min(clockSkewMs, Math.floor(validityMs / 10));
  return {
    notBeforeDate: new Date(start.getTime() - backdateMs),
    notAfterDate: new Date(start.getTime() + validityMs),
  };
}

/** Generates a self-signed certificate authority that can sign leaf certificates. */
export async function generateCertificateAuthority(options: CertificateAuthorityOptions): Promise<KeyPair> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: options.commonName }], {
    ...keyOptions,
    ...validity(options.now, options.validityMs),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** Generates a server or client certificate signed by `options.ca`. */
export async function issueCertificate(options: LeafCertificateOptions): Promise<KeyPair> {
  const subject = [{ name: 'commonName', value: options.commonName }];
  if (options.organization !== undefined) {
    subject.push({ name: 'organizationName', value: options.organization });
  }
  const altNames = (options.hosts ?? []).map((host) =>
    isIP(host) === 0 ? { type: 2 as const, value: host } : { type: 7 as const, ip: host },
  );
  const extensions: CertificateExtension[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    options.usage === 'server' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
  ];
  if (altNames.length > 0) {
    extensions.push({ name: 'subjectAltName', altNames });
  }
  const pems = await selfsigned.generate(subject, {
    ...keyOptions,
    ...validity(options.now, options.validityMs),
    extensions,
    ca: { key: options.ca.key, cert: options.ca.cert },
  });
  return { cert: pems.cert, key: pems.private };
}

/** Returns the expiry time of a PEM certificate. */
export function certificateNotAfter(certPem: string): Date {
  return new Date(new X509Certificate(certPem).validTo);
}

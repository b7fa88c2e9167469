// The CA that signs this process's serving certificates, where it is kept, and
// how a serving certificate is issued from it.
import { generateCertificateAuthority, issueCertificate, type KeyPair } from './certificates.ts';
import type { CertificateHosts } from './inspect.ts';
import { parseCertificate } from './inspect.ts';

const dayMs = 24 * 60 * 60 * 1000;

/** A CA that can sign, and the CA it replaced while that one may still verify certificates. */
export interface Authority {
  readonly current: KeyPair;
  readonly previousCert?: string;
}

/** The storage of the CA: a Secret that the replicas share, or --cert-dir. */
export interface AuthorityStore {
  /** A description for logs, such as "Secret webhooks/guard-ca". */
  readonly description: string;
  /** Reads the CA, creating or rotating it first when decideAuthorityAction() returns that action. */
  load(now: Date): Promise<Authority>;
  /** Keeps a newly issued serving certificate, for stores that keep one (--cert-dir). */
  saveServing?(serving: KeyPair): Promise<void>;
}

/** How long generated certificates live and when they are replaced. */
export interface CertificateLifetimes {
  readonly servingMs: number;
  readonly caMs: number;
  /** Fraction of a certificate's lifetime after which it is replaced. */
  readonly renewalFraction: number;
}

/** The defaults of --serving-cert-validity, --ca-validity and --cert-renewal-percent. */
export const defaultLifetimes: CertificateLifetimes = {
  servingMs: 7 * dayMs,
  caMs: 365 * dayMs,
  renewalFraction: 0.67,
};

const caCommonName = 'inference-extension-crds-ca';

/** Generates a CA valid for `validityMs` from `now`. */
export function generateAuthority(validityMs: number, now: Date): Promise<KeyPair> {
  return generateCertificateAuthority({ commonName: caCommonName, validityMs, now });
}

/** Returns the PEM CAs to publish in the caBundle: the current one, then the previous one. */
export function authorityCertificates(authority: Authority): string[] {
  const { current, previousCert } = authority;
  return previousCert === undefined ? [current.cert] : [current.cert, previousCert];
}

/** Joins PEM certificates into one bundle, one per line block. */
export function joinPem(pems: readonly string[]): string {
  return pems.map((pem) => pem.trim()).join('\n');
}

/**
 * Issues a serving certificate for `hosts`, signed by `ca`. Its notAfter is
 * capped at the CA's own, because a certificate cannot be verified beyond
 * its issuer's expiry.
 */
export async function issueServingCertificate(
  ca: KeyPair,
  hosts: CertificateHosts,
  validityMs: number,
  now: Date,
): Promise<KeyPair> {
  const caNotAfter = parseCertificate(ca.cert)?.validToDate.getTime() ?? now.getTime();
  const cappedMs = Math.min(validityMs, caNotAfter - now.getTime());
  if (cappedMs <= 0) throw new Error('the CA has expired and cannot issue a serving certificate');
  return issueCertificate({
    ca,
    commonName: hosts.dnsNames[0] ?? hosts.ipAddresses[0] ?? 'inference-extension-crds',
    hosts: [...hosts.dnsNames, ...hosts.ipAddresses],
    usage: 'server',
    validityMs: cappedMs,
    now,
  });
}

// Pure checks on PEM certificates, used to decide whether stored certificates
// can be served again and whether a caBundle trusts the served certificate.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { KeyPair } from './certificates.ts';

/** The DNS names and IP addresses a serving certificate must carry as subjectAltNames. */
export interface CertificateHosts {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

/** Parses one PEM certificate, or returns undefined when the text is not one. */
export function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** Splits a PEM bundle into its certificates, skipping blocks that do not parse. */
export function parseCertificateBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks
    .map((block) => parseCertificate(block))
    .filter((certificate) => certificate !== undefined);
}

/** Returns whether `key` (PEM) is the private key of `certificate`. */
export function keyMatchesCertificate(certificate: X509Certificate, key: string): boolean {
  try {
    return certificate.checkPrivateKey(createPrivateKey(key));
  } catch {
    return false;
  }
}

/** Returns whether `issuer` signed `certificate`: names match and the signature verifies. */
export function isIssuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
}

// Writes IPv6 addresses in their shortest form, because X509Certificate
// prints ::1 as 0:0:0:0:0:0:0:1.
function canonicalIp(address: string): string {
  if (isIP(address) !== 6) return address;
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

function splitOnce(text: string, separator: string): [string, string] {
  const index = text.indexOf(separator);
  return index === -1 ? [text, ''] : [text.slice(0, index), text.slice(index + separator.length)];
}

/** Reads the DNS and IP subjectAltNames of a certificate. */
export function subjectAltNames(certificate: X509Certificate): CertificateHosts {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const entry of (certificate.subjectAltName ?? '').split(', ')) {
    const [type, value] = splitOnce(entry, ':');
    if (type === 'DNS') dnsNames.push(value);
    if (type === 'IP Address') ipAddresses.push(canonicalIp(value));
  }
  return { dnsNames, ipAddresses };
}

function sameSet(left: readonly string[], right: readonly string[]): boolean {
  const sortedLeft = [...new Set(left)].sort();
  const sortedRight = [...new Set(right)].sort();
  return sortedLeft.join(',') === sortedRight.join(',');
}

/** Returns whether the certificate carries exactly the expected names and addresses. */
export function hostsMatch(certificate: X509Certificate, expected: CertificateHosts): boolean {
  const found = subjectAltNames(certificate);
  const dnsNames = expected.dnsNames.map((name) => name.toLowerCase());
  return (
    sameSet(found.dnsNames.map((name) => name.toLowerCase()), dnsNames) &&
    sameSet(found.ipAddresses, expected.ipAddresses.map(canonicalIp))
  );
}

const keyMismatch = 'private key does not match the certificate';

/** Describes why a certificate authority cannot be reused, or returns undefined when it can. */
export function certificateAuthorityProblem(
  pair: KeyPair,
  now: Date,
  renewBeforeMs: number,
): string | undefined {
  const certificate = parseCertificate(pair.cert);
  if (certificate === undefined) return 'certificate is not valid PEM';
  if (!certificate.ca) return 'certificate is not a certificate authority';
  if (!keyMatchesCertificate(certificate, pair.key)) return keyMismatch;
  return validityProblem(certificate, now, renewBeforeMs);
}

/**
 * Describes why a serving certificate cannot be reused with `ca` and the
 * expected hosts, or returns undefined when it can.
 */
export function servingCertificateProblem(
  pair: KeyPair,
  ca: KeyPair,
  hosts: CertificateHosts,
  now: Date,
  renewBeforeMs: number,
): string | undefined {
  const certificate = parseCertificate(pair.cert);
  const authority = parseCertificate(ca.cert);
  if (certificate === undefined || authority === undefined) return 'certificate is not valid PEM';
  if (!keyMatchesCertificate(certificate, pair.key)) return keyMismatch;
  if (!isIssuedBy(certificate, authority)) return 'certificate is not signed by the stored CA';
  if (!hostsMatch(certificate, hosts)) return 'subjectAltNames differ from the configured names';
  return validityProblem(certificate, now, renewBeforeMs);
}

function validityProblem(
  certificate: X509Certificate,
  now: Date,
  renewBeforeMs: number,
): string | undefined {
  if (certificate.validFromDate.getTime() > now.getTime()) return 'certificate is not valid yet';
  if (certificate.validToDate.getTime() <= now.getTime() + renewBeforeMs) {
    return 'certificate expires within the renewal margin';
  }
  return undefined;
}

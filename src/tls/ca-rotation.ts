// Whether a stored CA can keep signing, must be replaced, or has a previous CA
// that is no longer needed. A pure function of what is stored and the clock,
// so every replica reaches the same decision.
import type { X509Certificate } from 'node:crypto';
import type { KeyPair } from './certificates.ts';
import { keyMatchesCertificate, parseCertificate } from './inspect.ts';
import { isRenewalDue } from './renewal.ts';

/** A CA as read from its store, not yet checked. */
export interface StoredAuthority {
  readonly current?: KeyPair;
  /** PEM of the CA that `current` replaced, kept while certificates it signed may be in use. */
  readonly previousCert?: string;
}

export type AuthorityAction =
  | { readonly kind: 'keep' }
  | {
      readonly kind: 'replace';
      readonly reason: string;
      /** The certificate to keep as the previous CA, when it can still verify something. */
      readonly previousCert?: string;
    }
  | { readonly kind: 'drop-previous'; readonly reason: string };

type CheckedPair = { readonly certificate: X509Certificate } | { readonly problem: string };

function checkPair(pair: KeyPair | undefined, now: Date): CheckedPair {
  if (pair === undefined) return { problem: 'no CA stored' };
  const certificate = parseCertificate(pair.cert);
  if (certificate === undefined) return { problem: 'CA certificate is not valid PEM' };
  if (!certificate.ca) return { problem: 'CA certificate is not a certificate authority' };
  if (!keyMatchesCertificate(certificate, pair.key)) {
    return { problem: 'CA private key does not match the CA certificate' };
  }
  if (now.getTime() >= certificate.validToDate.getTime()) return { problem: 'CA expired' };
  return { certificate };
}

/** Returns whether `pem` is a CA certificate that has not expired. */
export function isUnexpiredAuthority(pem: string | undefined, now: Date): pem is string {
  const certificate = pem === undefined ? undefined : parseCertificate(pem);
  if (certificate === undefined || !certificate.ca) return false;
  return now.getTime() < certificate.validToDate.getTime();
}

/**
 * Decides what to do with a stored CA. It is replaced when it cannot sign or
 * has passed `fraction` of its lifetime. A CA replaced before it expired
 * becomes the previous CA, so that caBundles keep trusting the serving
 * certificates it signed. A previous CA is dropped once it has expired:
 * serving certificates never outlive their CA, so none it signed is valid.
 */
export function decideAuthorityAction(
  stored: StoredAuthority,
  now: Date,
  fraction: number,
): AuthorityAction {
  const current = stored.current?.cert;
  const checked = checkPair(stored.current, now);
  if ('problem' in checked) {
    const previousCert = isUnexpiredAuthority(current, now) ? current : undefined;
    return { kind: 'replace', reason: checked.problem, previousCert };
  }
  const { validFromDate: notBefore, validToDate: notAfter } = checked.certificate;
  if (isRenewalDue({ notBefore, notAfter }, fraction, now)) {
    const reason = `CA passed ${Math.round(fraction * 100)}% of its lifetime`;
    return { kind: 'replace', reason, previousCert: current };
  }
  const previous = stored.previousCert;
  if (previous !== undefined && !isUnexpiredAuthority(previous, now)) {
    return { kind: 'drop-previous', reason: 'previous CA expired or is not valid PEM' };
  }
  return { kind: 'keep' };
}

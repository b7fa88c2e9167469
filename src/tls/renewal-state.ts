// The state the renewal loop keeps between checks, and the pure steps that
// read it: the CAs to publish and the input of decideServingAction().
import { authorityCertificates, joinPem, type Authority } from './authority.ts';
import { isUnexpiredAuthority } from './ca-rotation.ts';
import { isIssuedBy, parseCertificate, parseCertificateBundle } from './inspect.ts';
import { validityOf, type ServingState } from './renewal.ts';
import type { ServingCertificate } from './serving-certificate.ts';

export interface RenewalState {
  served: ServingCertificate;
  /** Whether `served` is the temporary certificate. */
  temporary: boolean;
  /** PEM of the CA that signed `served`, published for as long as it has not expired. */
  servedIssuer?: string;
  /** The CA of the last successful load. */
  authority?: Authority;
  /** When each CA, by fingerprint, was first seen in every caBundle, in ms since the epoch. */
  readonly publishedSince: Map<string, number>;
  failures: number;
  lastFailure?: string;
  /** Whether the last load failed while a CA loaded before was still usable. */
  storeUnavailable: boolean;
}

export function fingerprintOf(pem: string): string {
  return parseCertificate(pem)?.fingerprint256 ?? '';
}

// Returns the PEM of the CA in serving.caCert that signed serving.cert.
function issuerOf(serving: ServingCertificate): string | undefined {
  const certificate = parseCertificate(serving.cert);
  if (certificate === undefined || serving.caCert === undefined) return undefined;
  const issuer = parseCertificateBundle(serving.caCert).find((authority) =>
    isIssuedBy(certificate, authority),
  );
  return issuer?.toString();
}

export function initialRenewalState(initial: ServingCertificate, temporary: boolean): RenewalState {
  return {
    served: initial,
    temporary,
    servedIssuer: temporary ? undefined : issuerOf(initial),
    publishedSince: new Map(),
    failures: 0,
    storeUnavailable: false,
  };
}

/**
 * Returns the PEM bundle to merge into the caBundle: the current CA, the
 * previous one, and the CA that signed the served certificate, each once and
 * only while unexpired. The last one matters when the stored CA was replaced
 * by other means, such as a deleted Secret, while this process still serves
 * a certificate of the old one.
 */
export function casToPublish(authority: Authority, servedIssuer: string | undefined, now: Date) {
  const seen = new Set<string>();
  const cas: string[] = [];
  for (const pem of [...authorityCertificates(authority), servedIssuer]) {
    if (!isUnexpiredAuthority(pem, now) || seen.has(fingerprintOf(pem))) continue;
    seen.add(fingerprintOf(pem));
    cas.push(pem);
  }
  return joinPem(cas);
}

/** Returns the view of the state that decideServingAction() takes. */
export function servingStateOf(state: RenewalState, now: Date): ServingState {
  const current = (state.authority as Authority).current.cert;
  const since = state.publishedSince.get(fingerprintOf(current));
  const issuer = state.servedIssuer;
  return {
    served: state.temporary ? undefined : validityOf(state.served.cert),
    signedByCurrentCa: issuer !== undefined && fingerprintOf(issuer) === fingerprintOf(current),
    caPublishedForMs: since === undefined ? undefined : now.getTime() - since,
  };
}

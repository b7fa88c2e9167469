// When to replace a certificate and when to look again. Pure functions of the
// certificate's validity, the clock and the configured fraction of lifetime.
import { parseCertificate } from './inspect.ts';

/** The validity period of a certificate. */
export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * Time a CA must have been in every caBundle before the served certificate
 * may come from it, in ms. NOTE: an estimate. kube-apiserver reads webhook
 * configurations from a watch, and in this project's tests a new caBundle
 * took effect within a second; 5 s leaves room for a busy API server.
 */
export const caSettleMs = 5_000;

/** Bounds of the delay between two renewal checks, in milliseconds. */
export interface CheckBounds {
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

/** Reads the validity period of a PEM certificate, or returns undefined when it does not parse. */
export function validityOf(pem: string): Validity | undefined {
  const certificate = parseCertificate(pem);
  if (certificate === undefined) return undefined;
  return { notBefore: certificate.validFromDate, notAfter: certificate.validToDate };
}

/** Returns the time at which `fraction` of the certificate's lifetime has passed. */
export function renewalTime(validity: Validity, fraction: number): Date {
  const start = validity.notBefore.getTime();
  const lifetimeMs = validity.notAfter.getTime() - start;
  return new Date(start + Math.max(0, lifetimeMs) * fraction);
}

/** Returns whether the certificate should be replaced: its renewal time has come, or it expired. */
export function isRenewalDue(validity: Validity, fraction: number, now: Date): boolean {
  return now.getTime() >= renewalTime(validity, fraction).getTime();
}

/** Returns whether the certificate is past its notAfter. */
export function isExpired(validity: Validity, now: Date): boolean {
  return now.getTime() >= validity.notAfter.getTime();
}

/**
 * Returns the interval of the periodic checks for a serving certificate
 * valid for `validityMs`: a tenth of it, from 1 s to 60 s. The checks also
 * read the shared CA, so a CA rotated by another replica is seen within it.
 */
export function checkIntervalMs(validityMs: number): number {
  return Math.min(60_000, Math.max(1_000, Math.floor(validityMs / 10)));
}

/**
 * Returns the delay until the next check: the earliest of the given times,
 * clamped to the bounds. A time already passed gives the minimum delay.
 */
export function nextCheckDelayMs(
  dueTimes: readonly Date[],
  now: Date,
  bounds: CheckBounds,
): number {
  const earliest = Math.min(...dueTimes.map((time) => time.getTime()), Infinity);
  const untilDue = earliest - now.getTime();
  return Math.min(bounds.maxDelayMs, Math.max(bounds.minDelayMs, untilDue));
}

/** The renewal loop's view of the served certificate and the CA. */
export interface ServingState {
  /** Validity of the served certificate; undefined while only the temporary one is served. */
  readonly served?: Validity;
  /** Whether the current CA signed the served certificate. */
  readonly signedByCurrentCa: boolean;
  /** How long every caBundle has contained the current CA, in ms; undefined when not confirmed. */
  readonly caPublishedForMs?: number;
}

export type ServingAction =
  | { readonly kind: 'keep' }
  | { readonly kind: 'issue'; readonly reason: string }
  | { readonly kind: 'wait'; readonly reason: string; readonly retryInMs: number };

/** Policy of the renewal loop. */
export interface ServingPolicy {
  readonly renewalFraction: number;
  /** Time a new CA must have been in every caBundle before it signs the served certificate. */
  readonly caSettleMs: number;
  readonly checkIntervalMs: number;
}

/**
 * Decides whether to issue a new serving certificate. One is issued when none
 * is served yet, when the served one expired, and when its renewal time has
 * come. A certificate from a CA other than the one that signed the served
 * certificate waits until every caBundle has contained that CA for
 * `caSettleMs`. The API server picks up a changed caBundle a moment after it
 * is written, so an earlier switch could fail verification. A certificate
 * that would expire before the next check is replaced without waiting,
 * because serving it longer cannot be better.
 */
export function decideServingAction(
  state: ServingState,
  policy: ServingPolicy,
  now: Date,
): ServingAction {
  if (state.served === undefined) return { kind: 'issue', reason: 'no serving certificate yet' };
  const expiresSoon = new Date(now.getTime() + policy.checkIntervalMs);
  if (isExpired(state.served, expiresSoon)) {
    return { kind: 'issue', reason: 'serving certificate expires before the next check' };
  }
  if (!isRenewalDue(state.served, policy.renewalFraction, now)) return { kind: 'keep' };
  const percent = Math.round(policy.renewalFraction * 100);
  const reason = `serving certificate passed ${percent}% of its lifetime`;
  if (state.signedByCurrentCa) return { kind: 'issue', reason };
  const publishedForMs = state.caPublishedForMs;
  if (publishedForMs !== undefined && publishedForMs >= policy.caSettleMs) {
    return { kind: 'issue', reason: `${reason}, signed by the new CA` };
  }
  const retryInMs =
    publishedForMs === undefined ? policy.checkIntervalMs : policy.caSettleMs - publishedForMs;
  return { kind: 'wait', reason: 'the new CA is not in every caBundle long enough yet', retryInMs };
}

// Keeps a generated serving certificate valid without a restart. A CA check
// loads the CA, which rotates it when due, and merges the CAs into the
// caBundle. A renewal timer issues a new serving certificate when
// decideServingAction() returns 'issue'. Both run at the earliest renewal
// time and at least every checkIntervalMs(), so that a CA rotated by another
// replica is seen soon.
import { describeApiError } from '../kube/status.ts';
import type { Logger } from '../logger.ts';
import {
  issueServingCertificate,
  type Authority,
  type AuthorityStore,
  type CertificateLifetimes,
} from './authority.ts';
import { isUnexpiredAuthority } from './ca-rotation.ts';
import { createLock, repeat } from './repeat.ts';
import type { CertificateHosts } from './inspect.ts';
import {
  caSettleMs,
  checkIntervalMs,
  decideServingAction,
  nextCheckDelayMs,
  renewalTime,
  validityOf,
  type ServingAction,
  type ServingPolicy,
} from './renewal.ts';
import {
  casToPublish,
  fingerprintOf,
  initialRenewalState,
  servingStateOf,
  type RenewalState,
} from './renewal-state.ts';
import type { ServingCertificate } from './serving-certificate.ts';

const minDelayMs = 500;
const firstRetryMs = 1_000;

export interface RenewalOptions {
  readonly store: AuthorityStore;
  readonly hosts: CertificateHosts;
  readonly lifetimes: CertificateLifetimes;
  /** The certificate served now. */
  readonly initial: ServingCertificate;
  /** Whether `initial` is the temporary certificate, to be replaced once a CA is loaded. */
  readonly initialIsTemporary: boolean;
  /** Merges the caCert of `serving` into the caBundle; resolves true once every webhook has it. */
  readonly publish: (serving: ServingCertificate) => Promise<boolean>;
  /** Starts serving a new certificate. */
  readonly apply: (serving: ServingCertificate) => Promise<void>;
  /** Called when a check fails, with a reason an operator can act on. */
  readonly onFailure?: (reason: string) => void;
  readonly logger: Logger;
  /** Aborts the API requests of the store; a check failing after it aborted is not reported. */
  readonly signal?: AbortSignal;
}

export interface CertificateRenewal {
  /** Ends both loops and waits for running steps. */
  stop(): Promise<void>;
}

// Loads the CA. While the store fails, a CA loaded before keeps signing until
// it expires, so that an API server outage does not let the certificate lapse.
async function loadAuthority(
  options: RenewalOptions,
  state: RenewalState,
  now: Date,
): Promise<Authority> {
  let authority: Authority;
  try {
    authority = await options.store.load(now);
  } catch (err) {
    const cached = state.authority;
    if (cached === undefined || !isUnexpiredAuthority(cached.current.cert, now)) throw err;
    const fields = { err, store: options.store.description };
    const message = 'ca store unavailable, signing with the ca loaded before';
    // Logged once per outage, then at debug, so that an outage does not flood the log.
    if (state.storeUnavailable) options.logger.debug(fields, message);
    else options.logger.warn(fields, message);
    state.storeUnavailable = true;
    return cached;
  }
  state.authority = authority;
  state.storeUnavailable = false;
  return authority;
}

async function publish(options: RenewalOptions, state: RenewalState, now: Date): Promise<void> {
  const authority = state.authority as Authority;
  const caCert = casToPublish(authority, state.servedIssuer, now);
  const published = await options.publish({ ...state.served, caCert });
  const fingerprint = fingerprintOf(authority.current.cert);
  if (published && !state.publishedSince.has(fingerprint)) {
    state.publishedSince.set(fingerprint, now.getTime());
  }
}

async function issue(
  options: RenewalOptions,
  state: RenewalState,
  reason: string,
  now: Date,
): Promise<void> {
  const authority = state.authority as Authority;
  const { hosts, lifetimes, store } = options;
  const pair = await issueServingCertificate(authority.current, hosts, lifetimes.servingMs, now);
  await store.saveServing?.(pair);
  const servedIssuer = authority.current.cert;
  const serving = { ...pair, caCert: casToPublish(authority, servedIssuer, now) };
  await options.apply(serving);
  Object.assign(state, { served: serving, temporary: false, servedIssuer });
  const notAfter = validityOf(pair.cert)?.notAfter;
  options.logger.info({ reason, notAfter, store: store.description }, 'serving certificate issued');
  // Publishing again moves the readiness check to the new certificate. It is
  // not awaited, so that a slow API server cannot hold up the next renewal.
  options.publish(serving).catch((err: unknown) => {
    options.logger.warn({ err }, 'publishing the serving certificate failed');
  });
}

// Issues a serving certificate when decideServingAction() returns 'issue'.
async function renewIfDue(
  options: RenewalOptions,
  state: RenewalState,
  policy: ServingPolicy,
): Promise<ServingAction> {
  const now = new Date();
  const action = decideServingAction(servingStateOf(state, now), policy, now);
  if (action.kind === 'issue') await issue(options, state, action.reason, now);
  if (action.kind === 'wait') {
    options.logger.debug({ reason: action.reason }, 'serving certificate renewal waits');
  }
  return action;
}

// Returns the delay until the next renewal time of the CA or the served
// certificate, or until a waiting renewal may try again.
function nextDelay(state: RenewalState, policy: ServingPolicy, action: ServingAction): number {
  const now = new Date();
  const bounds = { minDelayMs, maxDelayMs: policy.checkIntervalMs };
  if (action.kind === 'wait') {
    return nextCheckDelayMs([new Date(now.getTime() + action.retryInMs)], now, bounds);
  }
  const validities = [state.authority?.current.cert, state.served.cert]
    .map((pem) => (pem === undefined ? undefined : validityOf(pem)))
    .filter((validity) => validity !== undefined);
  const dueTimes = validities.map((validity) => renewalTime(validity, policy.renewalFraction));
  return nextCheckDelayMs(dueTimes, now, bounds);
}

function backoffMs(failures: number, policy: ServingPolicy): number {
  return Math.min(firstRetryMs * 2 ** Math.min(failures - 1, 16), policy.checkIntervalMs);
}

function recordFailure(options: RenewalOptions, state: RenewalState, err: unknown): void {
  const { store, logger } = options;
  const detail = describeApiError(err);
  const reason = `cannot renew the serving certificate from ${store.description}: ${detail}`;
  state.failures++;
  const fields = { err, store: store.description, failures: state.failures };
  // A repeat of the same failure is logged at debug, so an outage does not flood the log.
  if (reason !== state.lastFailure) logger.warn(fields, 'certificate renewal failed');
  else logger.debug(fields, 'certificate renewal failed again');
  state.lastFailure = reason;
  options.onFailure?.(reason);
}

/**
 * Starts renewal as two loops. The CA check loads the CA (rotating it when
 * due), merges the CAs into the caBundle and issues what needs the API
 * server: the first certificate and one from a new CA. The renewal timer
 * renews from the CA loaded before, at each renewal time, without waiting on
 * the API server. Both run their first step at once, never issue at the same
 * time, retry a failure after a delay that doubles from 1 s up to the check
 * interval, and never end the process.
 */
export function startCertificateRenewal(options: RenewalOptions): CertificateRenewal {
  const policy: ServingPolicy = {
    renewalFraction: options.lifetimes.renewalFraction,
    caSettleMs,
    checkIntervalMs: checkIntervalMs(options.lifetimes.servingMs),
  };
  const state = initialRenewalState(options.initial, options.initialIsTemporary);
  const locked = createLock();
  const onError = (err: unknown) => {
    recordFailure(options, state, err);
    return backoffMs(state.failures, policy);
  };

  const checkCa = async (): Promise<number> => {
    const now = new Date();
    await loadAuthority(options, state, now);
    await publish(options, state, now);
    const action = await locked(() => renewIfDue(options, state, policy));
    state.failures = 0;
    state.lastFailure = undefined;
    return nextDelay(state, policy, action);
  };
  const renewOnTime = async (): Promise<number> => {
    if (state.authority === undefined) return policy.checkIntervalMs;
    const action = await locked(() => renewIfDue(options, state, policy));
    return nextDelay(state, policy, action);
  };

  const loops = [
    repeat(checkCa, onError, options.signal),
    repeat(renewOnTime, onError, options.signal),
  ];
  return {
    async stop() {
      await Promise.all(loops.map((loop) => loop.stop()));
    },
  };
}

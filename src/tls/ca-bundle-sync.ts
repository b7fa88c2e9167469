// Keeps the webhook configuration's caBundle trusting the served certificate,
// and reports the result to readiness. It checks again periodically because a
// Helm upgrade or a person can overwrite the caBundle at any time.
import { describeApiError } from '../kube/status.ts';
import { webhooksTimingOutFirst } from '../kube/webhook-configuration.ts';
import type { Logger } from '../logger.ts';
import type { ReadinessState } from '../server/readiness.ts';
import {
  syncConfiguration,
  type CaBundleSyncOptions,
  type SyncOutcome,
} from './ca-bundle-write.ts';
import type { ServingCertificate } from './serving-certificate.ts';

export { syncCaBundle, type CaBundleSyncOptions, type SyncResult } from './ca-bundle-write.ts';

const retryIntervalMs = 5_000;
const recheckIntervalMs = 60_000;

export interface CaBundleSync {
  /**
   * Sets the served certificate and the CAs to publish (its caCert), then
   * syncs at once. Resolves to whether every webhook's caBundle now contains
   * those CAs; false also when the sync failed.
   */
  update(serving: ServingCertificate): Promise<boolean>;
  /** Ends the periodic check and waits for a running one to finish. */
  stop(): Promise<void>;
}

interface SyncLoopState {
  options: CaBundleSyncOptions;
  lastFailure?: string;
  lastTimeoutWarning?: string;
}

// Warns when a webhook's timeoutSeconds does not leave room for the lookups,
// because the API server would then time out before the guard denies.
function warnAboutTimeouts(state: SyncLoopState, outcome: SyncOutcome, logger: Logger): void {
  const { lookupTimeoutMs, configurationName: name } = state.options;
  if (lookupTimeoutMs === undefined || outcome.configuration === undefined) return;
  const webhooks = webhooksTimingOutFirst(outcome.configuration, lookupTimeoutMs);
  const key = webhooks.join(',');
  if (webhooks.length > 0 && key !== state.lastTimeoutWarning) {
    logger.warn(
      { name, webhooks, lookupTimeoutMs },
      'webhook timeout is not above the lookup timeout',
    );
  }
  state.lastTimeoutWarning = key;
}

async function runOnce(state: SyncLoopState, readiness: ReadinessState, logger: Logger) {
  const name = state.options.configurationName;
  try {
    const outcome = await syncConfiguration(state.options);
    const { result } = outcome;
    state.lastFailure = undefined;
    readiness.set('caBundle', result.ready, result.ready ? undefined : result.reason);
    warnAboutTimeouts(state, outcome, logger);
    return outcome.published;
  } catch (err) {
    if (state.options.signal?.aborted === true) return false;
    const reason = `cannot sync ValidatingWebhookConfiguration ${name}: ${describeApiError(err)}`;
    if (reason !== state.lastFailure)
      logger.warn({ name, err }, 'webhook configuration sync failed');
    state.lastFailure = reason;
    // A passing check stays passing: a brief outage does not change the caBundle.
    if (!readiness.isReady('caBundle')) readiness.set('caBundle', false, reason);
    return false;
  }
}

/**
 * Runs syncCaBundle now, then every 5 s while the caBundle does not trust
 * the serving certificate and every 60 s once it does. An API failure is
 * logged when its message changes and leaves a passing check passing.
 * Syncs never overlap: update() waits for a running one.
 */
export function startCaBundleSync(options: CaBundleSyncOptions): CaBundleSync {
  const { readiness, logger } = options;
  const state: SyncLoopState = { options };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const enqueue = (): Promise<boolean> => {
    const run = queue.then(() => runOnce(state, readiness, logger));
    queue = run;
    return run;
  };
  const schedule = (): void => {
    if (stopped) return;
    const delayMs = readiness.isReady('caBundle') ? recheckIntervalMs : retryIntervalMs;
    timer = setTimeout(() => void enqueue().then(schedule), delayMs);
  };

  void enqueue().then(schedule);
  return {
    update(serving) {
      state.options = { ...state.options, serving };
      return enqueue();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await queue;
    },
  };
}

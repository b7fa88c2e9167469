// Keeps the webhook configuration's caBundle trusting the served certificate,
// and reports the result to readiness. It checks again periodically because a
// Helm upgrade or a person can overwrite the caBundle at any time.
import type {
  AdmissionregistrationV1Api,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { withTimeout } from '../kube/client.ts';
import { describeApiError, isNotFound } from '../kube/status.ts';
import {
  buildGuardWebhookConfiguration,
  guardWebhooksMatch,
} from '../kube/webhook-configuration.ts';
import type { Logger } from '../logger.ts';
import type { ReadinessState } from '../server/readiness.ts';
import { encodeCaBundle, webhooksNotTrusting, withCaBundle } from './ca-bundle.ts';
import type { ServingCertificate } from './serving-certificate.ts';

const retryIntervalMs = 5_000;
const recheckIntervalMs = 60_000;

export interface CaBundleSyncOptions {
  readonly admission: AdmissionregistrationV1Api;
  /** Name of the ValidatingWebhookConfiguration to keep in step. */
  readonly configurationName: string;
  /** When set, the configuration is created or rewritten to call this URL. */
  readonly webhookUrl?: string;
  readonly crdNames: readonly string[];
  readonly serving: ServingCertificate;
  readonly requestTimeoutMs: number;
  readonly readiness: ReadinessState;
  readonly logger: Logger;
}

export interface CaBundleSync {
  /** Ends the periodic check and waits for a running one to finish. */
  stop(): Promise<void>;
}

type SyncResult = { readonly ready: true } | { readonly ready: false; readonly reason: string };

type Configuration = V1ValidatingWebhookConfiguration;

async function readConfiguration(options: CaBundleSyncOptions): Promise<Configuration | undefined> {
  const name = options.configurationName;
  try {
    const timeout = withTimeout(options.requestTimeoutMs);
    return await options.admission.readValidatingWebhookConfiguration({ name }, timeout);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function trustResult(configuration: Configuration, servingCert: string): SyncResult {
  const name = configuration.metadata?.name;
  if ((configuration.webhooks ?? []).length === 0) {
    return { ready: false, reason: `ValidatingWebhookConfiguration ${name} has no webhooks` };
  }
  const untrusting = webhooksNotTrusting(configuration, servingCert);
  if (untrusting.length === 0) return { ready: true };
  const webhooks = untrusting.join(', ');
  const reason = `caBundle of webhook ${webhooks} in ${name} does not trust the serving certificate`;
  return { ready: false, reason };
}

// Writes the configuration for --webhook-url. Without a CA of its own to
// publish, the process keeps the caBundle that is already there.
async function applyOwnConfiguration(
  options: CaBundleSyncOptions,
  url: string,
  current: Configuration | undefined,
): Promise<Configuration> {
  const { admission, configurationName: name, serving, crdNames, logger } = options;
  const caBundle =
    serving.caCert === undefined
      ? current?.webhooks?.[0]?.clientConfig.caBundle
      : encodeCaBundle(serving.caCert);
  const desired = buildGuardWebhookConfiguration({ name, url, caBundle, crdNames });
  const timeout = withTimeout(options.requestTimeoutMs);
  if (current === undefined) {
    const request = { body: desired };
    const created = await admission.createValidatingWebhookConfiguration(request, timeout);
    logger.info({ name, url }, 'webhook configuration created');
    return created;
  }
  if (guardWebhooksMatch(current, desired)) return current;

  const labels = { ...current.metadata?.labels, ...desired.metadata?.labels };
  const body = { ...desired, metadata: { ...current.metadata, labels } };
  const replaced = await admission.replaceValidatingWebhookConfiguration({ name, body }, timeout);
  logger.info({ name, url }, 'webhook configuration updated');
  return replaced;
}

// Sets this process's CA on every webhook whose caBundle does not trust the
// serving certificate. The replace carries the resourceVersion that was read,
// so a concurrent writer makes it fail with a conflict instead of being lost.
async function patchCaBundle(
  options: CaBundleSyncOptions,
  current: Configuration,
): Promise<Configuration> {
  const { admission, serving, configurationName: name } = options;
  const untrusting = webhooksNotTrusting(current, serving.cert);
  if (serving.caCert === undefined || untrusting.length === 0) return current;

  const selected = (webhook: { name: string }) => untrusting.includes(webhook.name);
  const body = withCaBundle(current, serving.caCert, selected);
  const timeout = withTimeout(options.requestTimeoutMs);
  const replaced = await admission.replaceValidatingWebhookConfiguration({ name, body }, timeout);
  options.logger.info({ name, webhooks: untrusting }, 'webhook configuration caBundle updated');
  return replaced;
}

/**
 * Reads the configuration once, writes what is missing, and returns whether
 * every webhook's caBundle now trusts the serving certificate.
 */
export async function syncCaBundle(options: CaBundleSyncOptions): Promise<SyncResult> {
  const current = await readConfiguration(options);
  if (options.webhookUrl !== undefined) {
    const applied = await applyOwnConfiguration(options, options.webhookUrl, current);
    return trustResult(applied, options.serving.cert);
  }
  if (current === undefined) {
    const name = options.configurationName;
    const reason = `ValidatingWebhookConfiguration ${name} not found; install it or set --webhook-url`;
    return { ready: false, reason };
  }
  return trustResult(await patchCaBundle(options, current), options.serving.cert);
}

/**
 * Runs syncCaBundle now, then every 5 s while the caBundle does not trust
 * the serving certificate and every 60 s once it does. An API failure is
 * logged when its message changes and leaves a passing check passing,
 * because a brief outage does not change the caBundle.
 */
export function startCaBundleSync(options: CaBundleSyncOptions): CaBundleSync {
  const { readiness, logger, configurationName: name } = options;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let lastFailure: string | undefined;

  const runOnce = async (): Promise<void> => {
    try {
      const result = await syncCaBundle(options);
      lastFailure = undefined;
      readiness.set('caBundle', result.ready, result.ready ? undefined : result.reason);
    } catch (err) {
      const reason = `cannot sync ValidatingWebhookConfiguration ${name}: ${describeApiError(err)}`;
      if (reason !== lastFailure) logger.warn({ name, err }, 'webhook configuration sync failed');
      lastFailure = reason;
      if (!readiness.isReady('caBundle')) readiness.set('caBundle', false, reason);
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    const delayMs = readiness.isReady('caBundle') ? recheckIntervalMs : retryIntervalMs;
    timer = setTimeout(() => {
      running = runOnce().then(schedule);
    }, delayMs);
  };

  running = runOnce().then(schedule);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

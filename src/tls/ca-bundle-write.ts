// One pass of keeping the caBundle in step: read the webhook configuration,
// merge this process's CAs into every webhook's caBundle, and report whether
// the result trusts the served certificate. Writes carry the resourceVersion
// that was read; on a conflict the pass starts over from a fresh read.
import type {
  AdmissionregistrationV1Api,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { withTimeout } from '../kube/client.ts';
import { isConflict, isNotFound } from '../kube/status.ts';
import {
  buildGuardWebhookConfiguration,
  guardWebhooksMatch,
} from '../kube/webhook-configuration.ts';
import type { Logger } from '../logger.ts';
import type { ReadinessState } from '../server/readiness.ts';
import {
  mergeCaBundle,
  webhooksMissingCas,
  webhooksNotTrusting,
  withMergedCaBundles,
} from './ca-bundle.ts';
import type { ServingCertificate } from './serving-certificate.ts';

// Each conflict means another replica wrote in between; a few attempts let any
// number of replicas merge their CAs in turn.
const maxAttempts = 5;

export interface CaBundleSyncOptions {
  readonly admission: AdmissionregistrationV1Api;
  /** Name of the ValidatingWebhookConfiguration to keep in step. */
  readonly configurationName: string;
  /** When set, the configuration is created or rewritten to call this URL. */
  readonly webhookUrl?: string;
  readonly crdNames: readonly string[];
  /** The served certificate; its caCert lists the CAs to merge into the caBundle. */
  readonly serving: ServingCertificate;
  readonly requestTimeoutMs: number;
  readonly readiness: ReadinessState;
  readonly logger: Logger;
  /** --lookup-timeout, to warn about webhooks whose timeoutSeconds is not above it. */
  readonly lookupTimeoutMs?: number;
  /** Aborts API requests in flight, such as when the process shuts down. */
  readonly signal?: AbortSignal;
}

export type SyncResult =
  { readonly ready: true } | { readonly ready: false; readonly reason: string };

type Configuration = V1ValidatingWebhookConfiguration;

/** A SyncResult, and whether every webhook's caBundle contains the CAs to publish. */
export interface SyncOutcome {
  readonly result: SyncResult;
  readonly published: boolean;
  /** The configuration as stored after the pass; undefined when it does not exist. */
  readonly configuration?: Configuration;
}

function casToMerge(options: CaBundleSyncOptions): string[] {
  return options.serving.caCert === undefined ? [] : [options.serving.caCert];
}

async function readConfiguration(options: CaBundleSyncOptions): Promise<Configuration | undefined> {
  const name = options.configurationName;
  try {
    const timeout = withTimeout(options.requestTimeoutMs, options.signal);
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

// Writes the configuration for --webhook-url, with this process's CAs merged
// into the caBundle that is already there.
async function applyOwnConfiguration(
  options: CaBundleSyncOptions,
  url: string,
  current: Configuration | undefined,
): Promise<Configuration> {
  const { admission, configurationName: name, crdNames, logger } = options;
  const existing = current?.webhooks?.[0]?.clientConfig.caBundle;
  const caBundle = mergeCaBundle(existing, casToMerge(options), new Date()) ?? existing;
  const desired = buildGuardWebhookConfiguration({ name, url, caBundle, crdNames });
  const timeout = withTimeout(options.requestTimeoutMs, options.signal);
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

// Merges this process's CAs into every webhook's caBundle that lacks one.
async function patchCaBundle(
  options: CaBundleSyncOptions,
  current: Configuration,
): Promise<Configuration> {
  const { admission, configurationName: name } = options;
  const merged = withMergedCaBundles(current, casToMerge(options), new Date());
  if (merged === undefined) return current;
  const timeout = withTimeout(options.requestTimeoutMs, options.signal);
  const body = merged.configuration;
  const replaced = await admission.replaceValidatingWebhookConfiguration({ name, body }, timeout);
  options.logger.info({ name, webhooks: merged.changed }, 'webhook configuration caBundle updated');
  return replaced;
}

async function syncOnce(options: CaBundleSyncOptions): Promise<SyncOutcome> {
  const current = await readConfiguration(options);
  let written: Configuration;
  if (options.webhookUrl !== undefined) {
    written = await applyOwnConfiguration(options, options.webhookUrl, current);
  } else if (current === undefined) {
    const name = options.configurationName;
    const reason = `ValidatingWebhookConfiguration ${name} not found; install it or set --webhook-url`;
    return { result: { ready: false, reason }, published: false };
  } else {
    written = await patchCaBundle(options, current);
  }
  const missing = webhooksMissingCas(written, casToMerge(options), new Date());
  const published = (written.webhooks ?? []).length > 0 && missing.length === 0;
  return { result: trustResult(written, options.serving.cert), published, configuration: written };
}

/**
 * Reads the configuration, merges what is missing, and returns whether every
 * webhook's caBundle trusts the served certificate and contains the CAs to
 * publish. Retries from a fresh read when another writer got in first.
 */
export async function syncConfiguration(options: CaBundleSyncOptions): Promise<SyncOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await syncOnce(options);
    } catch (err) {
      if (!isConflict(err) || attempt >= maxAttempts) throw err;
      const fields = { name: options.configurationName, attempt };
      options.logger.debug(fields, 'webhook configuration changed meanwhile, reading it again');
    }
  }
}

/** Runs syncConfiguration() and returns whether the caBundle trusts the served certificate. */
export async function syncCaBundle(options: CaBundleSyncOptions): Promise<SyncResult> {
  return (await syncConfiguration(options)).result;
}

// The ValidatingWebhookConfiguration that `serve --webhook-url` writes for runs
// outside a cluster. In a cluster the Helm chart owns the configuration and
// the process only keeps its caBundle in step.
import type {
  V1ValidatingWebhook,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { managedByLabel, managedByValue } from '../crds/metadata.ts';

export const guardWebhookName = 'crd-deletion-guard.inference-extension-crds.dev';

/**
 * timeoutSeconds of the webhook that --webhook-url writes: below the API
 * server's 30-second cap and above --lookup-timeout's default of 3 s.
 */
export const guardWebhookTimeoutSeconds = 10;

export interface GuardWebhookOptions {
  /** Name of the ValidatingWebhookConfiguration. */
  readonly name: string;
  /** https URL the API server calls. */
  readonly url: string;
  /** base64 PEM CA that signed the serving certificate. */
  readonly caBundle?: string;
  /** CRDs whose deletion the webhook reviews. */
  readonly crdNames: readonly string[];
}

/** Returns a CEL expression that is true when the request names one of `crdNames`. */
export function crdNameCondition(crdNames: readonly string[]): string {
  return `request.name in ${JSON.stringify(crdNames)}`;
}

/** Builds the one webhook entry: DELETE of the bundle's CRDs, failing closed. */
export function buildGuardWebhook(options: GuardWebhookOptions): V1ValidatingWebhook {
  return {
    name: guardWebhookName,
    clientConfig: { url: options.url, caBundle: options.caBundle },
    rules: [
      {
        operations: ['DELETE'],
        apiGroups: ['apiextensions.k8s.io'],
        apiVersions: ['v1'],
        resources: ['customresourcedefinitions'],
        scope: '*',
      },
    ],
    // The API server skips the call for every other CRD, so unrelated
    // deletions do not depend on this process being up.
    matchConditions: [{ name: 'bundle-crds-only', expression: crdNameCondition(options.crdNames) }],
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    failurePolicy: 'Fail',
    timeoutSeconds: guardWebhookTimeoutSeconds,
  };
}

/** Builds the whole ValidatingWebhookConfiguration for --webhook-url. */
export function buildGuardWebhookConfiguration(
  options: GuardWebhookOptions,
): V1ValidatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: options.name, labels: { [managedByLabel]: managedByValue } },
    webhooks: [buildGuardWebhook(options)],
  };
}

// The fields buildGuardWebhook sets. The API server fills in defaults for the
// others (matchPolicy, selectors), so comparing whole objects would always differ.
function guardFields(webhook: V1ValidatingWebhook): unknown {
  return {
    name: webhook.name,
    url: webhook.clientConfig.url,
    caBundle: webhook.clientConfig.caBundle,
    rules: webhook.rules,
    matchConditions: webhook.matchConditions,
    sideEffects: webhook.sideEffects,
    admissionReviewVersions: webhook.admissionReviewVersions,
    failurePolicy: webhook.failurePolicy,
    timeoutSeconds: webhook.timeoutSeconds,
  };
}

/** Returns whether `current` already has the webhooks of `desired`, ignoring server defaults. */
export function guardWebhooksMatch(
  current: V1ValidatingWebhookConfiguration,
  desired: V1ValidatingWebhookConfiguration,
): boolean {
  const project = (configuration: V1ValidatingWebhookConfiguration) =>
    canonicalJson((configuration.webhooks ?? []).map(guardFields));
  return project(current) === project(desired);
}

/**
 * Returns the names of the webhooks whose timeoutSeconds (10 when unset, the
 * API server's default) is not above `lookupTimeoutMs`.
 */
export function webhooksTimingOutFirst(
  configuration: V1ValidatingWebhookConfiguration,
  lookupTimeoutMs: number,
): string[] {
  return (configuration.webhooks ?? [])
    .filter((webhook) => (webhook.timeoutSeconds ?? 10) * 1000 <= lookupTimeoutMs)
    .map((webhook) => webhook.name);
}

// JSON with object keys sorted, because the client's deserializer may order keys differently.
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const entries = Object.entries(item).sort(([left], [right]) => (left < right ? -1 : 1));
    return Object.fromEntries(entries);
  });
}

// `uninstall`: deletes the bundle's CRDs, and with them every object of their
// kinds, unless --keep-crds is set. Deleting needs --yes; without it the
// command only lists what it would delete. CRDs without this product's managed-by
// label were installed by someone else, as with --skip-if-exists, and are
// left in place. With --allow-webhook-config-deletion it then sets the
// allow-delete annotation on the webhook configuration, which the chart's
// webhook guard policy requires before Helm may delete it. The Helm chart
// runs this command in a pre-delete hook Job.
import type { Config } from '../config/parse.ts';
import { crdNames } from '../crds/bundle.ts';
import { createApiCaller, createCrdApi, type ApiCaller, type CrdApi } from '../crds/api.ts';
import { keepOnUninstallAnnotation, managedByLabel, managedByValue } from '../crds/metadata.ts';
import { withTimeout, type KubeClients } from '../kube/client.ts';
import { isNotFound } from '../kube/status.ts';
import { allowConfigurationDeletion } from '../kube/webhook-guard-policy.ts';
import type { Logger } from '../logger.ts';
import { loadConfiguredBundle } from './bundle-source.ts';
import { clientsFor } from './clients.ts';
import { previewUninstall } from './uninstall-preview.ts';

export type UninstallAction = 'deleted' | 'absent' | 'skipped-not-managed' | 'failed';

const actionMessages: Record<UninstallAction, string> = {
  deleted: 'crd deleted',
  absent: 'crd already absent',
  'skipped-not-managed': 'crd skipped, not installed by this product',
  failed: 'crd uninstall failed',
};

export interface UninstallContext {
  readonly clients: KubeClients;
  readonly crds: CrdApi;
  readonly call: ApiCaller;
  readonly requestTimeoutMs: number;
}

// JSON Pointer escapes "/" in a map key as "~1".
const annotationPath = `/metadata/annotations/${keepOnUninstallAnnotation.replace('/', '~1')}`;

// Sets keep-on-uninstall to "false", which the deletion guard reads before it
// allows deleting a CRD that still has objects.
async function allowDeletion(context: UninstallContext, name: string, hasAnnotations: boolean): Promise<void> {
  const patch = hasAnnotations
    ? [{ op: 'add', path: annotationPath, value: 'false' }]
    : [{ op: 'add', path: '/metadata/annotations', value: { [keepOnUninstallAnnotation]: 'false' } }];
  const resource = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };
  const timeout = withTimeout(context.requestTimeoutMs);
  await context.call(`annotate crd ${name}`, () =>
    context.clients.customObjects.patchClusterCustomObject({ ...resource, name, body: patch }, timeout),
  );
}

async function deleteCrd(context: UninstallContext, name: string): Promise<void> {
  const timeout = withTimeout(context.requestTimeoutMs);
  await context.call(`delete crd ${name}`, async () => {
    try {
      await context.clients.apiextensions.deleteCustomResourceDefinition({ name }, timeout);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  });
}

async function uninstallCrd(context: UninstallContext, name: string): Promise<UninstallAction> {
  const live = await context.crds.read(name);
  if (live === undefined) return 'absent';
  if (live.metadata?.labels?.[managedByLabel] !== managedByValue) return 'skipped-not-managed';
  const annotations = live.metadata?.annotations;
  if (annotations?.[keepOnUninstallAnnotation] !== 'false') {
    await allowDeletion(context, name, annotations !== undefined);
  }
  await deleteCrd(context, name);
  return 'deleted';
}

/**
 * Deletes every CRD of the bundle that this product installed and prints one
 * line per CRD. The API server removes the objects of a deleted CRD's kind
 * afterwards. Returns the number of CRDs that could not be deleted, after trying all.
 */
async function uninstallCrds(config: Config, context: UninstallContext, logger: Logger): Promise<number> {
  const names = crdNames(await loadConfiguredBundle(config));
  const width = Math.max(...names.map((name) => name.length));
  let failed = 0;
  for (const name of names) {
    let action: UninstallAction;
    try {
      action = await uninstallCrd(context, name);
      logger.info({ crd: name, action }, actionMessages[action]);
    } catch (err) {
      action = 'failed';
      failed++;
      logger.error({ crd: name, err }, actionMessages.failed);
    }
    console.log(`${name.padEnd(width)}  ${action}`);
  }
  return failed;
}

export type WebhookConfigurationAction = 'deletion-allowed' | 'absent' | 'failed';

/**
 * Sets the allow-delete annotation on the webhook configuration and prints
 * one line for it. Returns 1 when that failed, else 0.
 */
async function allowWebhookConfigurationDeletion(
  config: Config,
  context: UninstallContext,
  logger: Logger,
): Promise<number> {
  const name = config.webhookConfigName;
  const admission = context.clients.admission;
  let action: WebhookConfigurationAction;
  try {
    const found = await context.call(`annotate validatingwebhookconfiguration ${name}`, () =>
      allowConfigurationDeletion(admission, name, context.requestTimeoutMs),
    );
    action = found ? 'deletion-allowed' : 'absent';
    const message = found ? 'webhook configuration deletion allowed' : 'webhook configuration already absent';
    logger.info({ webhookConfiguration: name, action }, message);
  } catch (err) {
    action = 'failed';
    logger.error({ webhookConfiguration: name, err }, 'webhook configuration annotation failed');
  }
  console.log(`validatingwebhookconfiguration/${name}  ${action}`);
  return action === 'failed' ? 1 : 0;
}

/**
 * Deletes the bundle's CRDs unless --keep-crds is set, and only with --yes
 * (else it lists them and returns 2). Then, with
 * --allow-webhook-config-deletion, lets the webhook configuration be deleted.
 * The CRDs go first, because a failure there should leave the configuration,
 * and the protection of what remains, in place. Returns 1 when any step failed.
 */
export async function runUninstall(config: Config, logger: Logger): Promise<number> {
  const clients = clientsFor(config);
  const options = { requestTimeoutMs: config.requestTimeoutMs, retryTimeoutMs: config.connectTimeoutMs };
  const call = createApiCaller(options, logger);
  const context = { clients, call, crds: createCrdApi(clients, call, config.requestTimeoutMs), ...options };
  if (!config.keepCrds && !config.yes) return previewUninstall(config, context, logger);
  if (!config.keepCrds && (await uninstallCrds(config, context, logger)) > 0) return 1;
  if (!config.allowWebhookConfigDeletion) return 0;
  return allowWebhookConfigurationDeletion(config, context, logger);
}

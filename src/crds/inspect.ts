// Gathers what the status command shows about each CRD of a bundle.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { Logger } from '../logger.ts';
import { withTimeout, type KubeClients } from '../kube/client.ts';
import { createApiCaller, createCrdApi, type ApiCallOptions, type ApiCaller } from './api.ts';
import { crdNames, type Bundle } from './bundle.ts';
import { notReadyReason } from './establish.ts';
import { keepOnUninstallAnnotation } from './metadata.ts';
import { installedVersionOf } from './plan.ts';

// Page size when the server leaves out remainingItemCount and objects must be
// counted page by page.
const countPageSize = 500;

/** One CRD of the bundle as found in the cluster. */
export interface CrdStatus {
  readonly name: string;
  readonly installed: boolean;
  /** bundle-version annotation of the installed CRD. */
  readonly bundleVersion?: string;
  readonly servedVersions: readonly string[];
  /** Whether both Established and NamesAccepted are True. */
  readonly established: boolean;
  /** Value of the keep-on-uninstall annotation. */
  readonly keepOnUninstall?: string;
  /** Objects of the CRD's kind in all namespaces; undefined when they could not be counted. */
  readonly objects?: number;
}

interface ListPage {
  items?: unknown[];
  metadata?: { continue?: string; remainingItemCount?: number };
}

/**
 * Returns the version to list objects through: the storage version if it is
 * served, else the first served version.
 */
export function listingVersion(crd: V1CustomResourceDefinition): string | undefined {
  const served = (crd.spec?.versions ?? []).filter((version) => version.served);
  return (served.find((version) => version.storage) ?? served[0])?.name;
}

/**
 * Counts the objects of a CRD's kind cluster-wide without listing them all:
 * the first page requests one object and the server reports how many remain.
 * A server that leaves remainingItemCount out is paged through instead.
 */
export async function countObjects(
  clients: KubeClients,
  call: ApiCaller,
  crd: V1CustomResourceDefinition,
  timeoutMs: number,
) {
  const version = listingVersion(crd);
  if (version === undefined) return undefined;
  const resource = { group: crd.spec.group, version, plural: crd.spec.names.plural };
  const list = (limit: number, token?: string) =>
    call(`list ${resource.plural}.${resource.group}`, () =>
      clients.customObjects.listClusterCustomObject(
        { ...resource, limit, _continue: token },
        withTimeout(timeoutMs),
      ),
    ) as Promise<ListPage>;
  let page = await list(1);
  let count = page.items?.length ?? 0;
  if (page.metadata?.remainingItemCount !== undefined)
    return count + page.metadata.remainingItemCount;
  while (page.metadata?.continue) {
    page = await list(countPageSize, page.metadata.continue);
    count += page.items?.length ?? 0;
  }
  return count;
}

async function inspectCrd(
  clients: KubeClients,
  call: ApiCaller,
  name: string,
  options: ApiCallOptions,
  logger: Logger,
): Promise<CrdStatus> {
  const live = await createCrdApi(clients, call, options.requestTimeoutMs).read(name);
  if (live === undefined) return { name, installed: false, servedVersions: [], established: false };
  const established = notReadyReason(live) === undefined;
  let objects: number | undefined;
  if (established) {
    objects = await countObjects(clients, call, live, options.requestTimeoutMs).catch(
      (err: unknown) => {
        logger.warn({ crd: name, err }, 'could not count objects');
        return undefined;
      },
    );
  }
  return {
    name,
    installed: true,
    bundleVersion: installedVersionOf(live),
    servedVersions: live.spec.versions
      .filter((version) => version.served)
      .map((version) => version.name),
    established,
    keepOnUninstall: live.metadata?.annotations?.[keepOnUninstallAnnotation],
    objects,
  };
}

/**
 * Reads each CRD of the bundle and counts its objects. Throws a ProductError
 * when a CRD cannot be read; a failed count only leaves `objects` unset.
 */
export async function inspectBundle(
  clients: KubeClients,
  bundle: Bundle,
  options: ApiCallOptions,
  logger: Logger,
): Promise<CrdStatus[]> {
  const call = createApiCaller(options, logger);
  const statuses: CrdStatus[] = [];
  for (const name of crdNames(bundle))
    statuses.push(await inspectCrd(clients, call, name, options, logger));
  return statuses;
}

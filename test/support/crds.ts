// Helpers for tests that install, inspect and remove the bundle's CRDs and
// create objects of their kinds on the test cluster.
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  CoreV1Api,
  CustomObjectsApi,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { loadBuiltInBundle, loadBundle, crdNames, type Bundle } from '../../src/crds/bundle.ts';
import { listingVersion } from '../../src/crds/inspect.ts';
import { isConflict, isNotFound } from '../../src/kube/status.ts';
import type { TestCluster } from './cluster.ts';

/** Group of the GA InferencePool (v1). */
export const inferenceGroup = 'inference.networking.k8s.io';
/** Group of the experimental kinds, including the older InferencePool (v1alpha2). */
export const experimentalGroup = 'inference.networking.x-k8s.io';

const crdResource = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
};
const deadlineMs = 60_000;
const deletionDeadlineMs = 120_000;

/** Loads a test bundle from test/fixtures/bundles/VERSION, such as 'v1.2.0'. */
export function loadFixtureBundle(version: string): Promise<Bundle> {
  return loadBundle(fileURLToPath(new URL(`../fixtures/bundles/${version}/`, import.meta.url)));
}

/** Returns the names of the built-in bundle's CRDs. */
export async function builtInCrdNames(): Promise<string[]> {
  return crdNames(await loadBuiltInBundle());
}

function customObjects(cluster: TestCluster): CustomObjectsApi {
  return cluster.kubeConfig.makeApiClient(CustomObjectsApi);
}

/** Reads a CRD as the plain JSON the API server returns, or undefined when absent. */
export async function readCrd(
  cluster: TestCluster,
  name: string,
): Promise<V1CustomResourceDefinition | undefined> {
  try {
    return await customObjects(cluster).getClusterCustomObject({ ...crdResource, name });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Creates a CRD from plain JSON, as kubectl create would. */
export async function createCrd(
  cluster: TestCluster,
  body: V1CustomResourceDefinition,
): Promise<V1CustomResourceDefinition> {
  return customObjects(cluster).createClusterCustomObject({ ...crdResource, body });
}

/** Replaces a CRD, reading it again after a 409 so that `change` applies to the latest copy. */
export async function updateCrd(
  cluster: TestCluster,
  name: string,
  change: (crd: V1CustomResourceDefinition) => void,
): Promise<V1CustomResourceDefinition> {
  for (;;) {
    const crd = await readCrd(cluster, name);
    if (crd === undefined) throw new Error(`CRD ${name} not found`);
    change(crd);
    try {
      return await customObjects(cluster).replaceClusterCustomObject({
        ...crdResource,
        name,
        body: crd,
      });
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
}

/**
 * Lists a CRD's objects from the watch cache until that succeeds. The API
 * server's CRD finalizer fails with "storage is (re)initializing" when a CRD
 * is deleted before its cache is ready, and then retries with a per-CRD
 * backoff that grows past a minute over repeated create and delete cycles.
 */
async function waitForObjectCache(
  cluster: TestCluster,
  crd: V1CustomResourceDefinition,
): Promise<void> {
  const version = listingVersion(crd);
  if (version === undefined) return;
  const resource = { group: crd.spec.group, version, plural: crd.spec.names.plural };
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      await customObjects(cluster).listClusterCustomObject({
        ...resource,
        resourceVersion: '0',
        limit: 1,
      });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

/** Deletes the named CRDs (absent ones are fine) and waits until none of them exists. */
export async function deleteCrds(cluster: TestCluster, names: readonly string[]): Promise<void> {
  const api = customObjects(cluster);
  for (const name of names) {
    const crd = await readCrd(cluster, name);
    if (crd === undefined) continue;
    if (crd.metadata?.deletionTimestamp === undefined) await waitForObjectCache(cluster, crd);
    await api.deleteClusterCustomObject({ ...crdResource, name }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
  const deadline = Date.now() + deletionDeadlineMs;
  for (const name of names) {
    while ((await readCrd(cluster, name)) !== undefined) {
      if (Date.now() > deadline)
        throw new Error(`CRD ${name} still exists ${deletionDeadlineMs} ms after deletion`);
      await sleep(200);
    }
  }
}

/** Waits until a CRD reports Established=True; throws after a minute. */
export async function waitForCrdEstablished(cluster: TestCluster, name: string): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const crd = await readCrd(cluster, name);
    const established = crd?.status?.conditions?.some(
      (c) => c.type === 'Established' && c.status === 'True',
    );
    if (established === true) return;
    if (Date.now() > deadline)
      throw new Error(`CRD ${name} not Established within ${deadlineMs} ms`);
    await sleep(200);
  }
}

/** Creates the namespace unless it exists. */
export async function ensureNamespace(cluster: TestCluster, name: string): Promise<void> {
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name } } }).catch((err: unknown) => {
    if (!isConflict(err)) throw err;
  });
}

export interface ObjectRef {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespace: string;
  readonly name: string;
}

/**
 * Creates a namespaced custom object. Retries 404 for a while, because a CRD
 * reported Established may take a moment longer to serve its endpoint.
 */
export async function createCustomObject(
  cluster: TestCluster,
  ref: ObjectRef,
  body: object,
): Promise<unknown> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await customObjects(cluster).createNamespacedCustomObject({ ...ref, body });
    } catch (err) {
      if (!isNotFound(err) || Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

/** Reads a namespaced custom object, or returns undefined when it does not exist. */
export async function readCustomObject(
  cluster: TestCluster,
  ref: ObjectRef,
): Promise<Record<string, unknown> | undefined> {
  try {
    return await customObjects(cluster).getNamespacedCustomObject(ref);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function inferencePoolSpec(group: string): object {
  if (group === inferenceGroup) {
    return {
      selector: { matchLabels: { app: 'model-server' } },
      targetPorts: [{ number: 8000 }],
      endpointPickerRef: { name: 'endpoint-picker', port: { number: 9002 } },
    };
  }
  return {
    selector: { app: 'model-server' },
    targetPortNumber: 8000,
    extensionRef: { name: 'endpoint-picker' },
  };
}

/** Returns where an InferencePool of `group` lives: v1 in the GA group, else v1alpha2. */
export function inferencePoolRef(group: string, namespace: string, name: string): ObjectRef {
  const version = group === inferenceGroup ? 'v1' : 'v1alpha2';
  return { group, version, plural: 'inferencepools', namespace, name };
}

/** Creates a minimal valid InferencePool of either group. */
export async function createInferencePool(
  cluster: TestCluster,
  group: string,
  namespace: string,
  name: string,
): Promise<unknown> {
  const ref = inferencePoolRef(group, namespace, name);
  const body = {
    apiVersion: `${group}/${ref.version}`,
    kind: 'InferencePool',
    metadata: { name, namespace },
    spec: inferencePoolSpec(group),
  };
  return createCustomObject(cluster, ref, body);
}

/** Returns where an InferenceModelRewrite (v1alpha2) lives. */
export function modelRewriteRef(namespace: string, name: string): ObjectRef {
  return {
    group: experimentalGroup,
    version: 'v1alpha2',
    plural: 'inferencemodelrewrites',
    namespace,
    name,
  };
}

/** Creates an InferenceModelRewrite for `poolName` with the given rules. */
export async function createInferenceModelRewrite(
  cluster: TestCluster,
  namespace: string,
  name: string,
  poolName: string,
  rules: readonly object[],
): Promise<unknown> {
  const body = {
    apiVersion: `${experimentalGroup}/v1alpha2`,
    kind: 'InferenceModelRewrite',
    metadata: { name, namespace },
    spec: { poolRef: { name: poolName }, rules },
  };
  return createCustomObject(cluster, modelRewriteRef(namespace, name), body);
}

/**
 * Builds a CRD in `group` that claims `shortName`, so that a bundle CRD
 * created after it with the same short name never gets NamesAccepted=True.
 */
export function nameClaimingCrd(group: string, shortName: string): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    // Groups under k8s.io need this annotation; any value is accepted.
    metadata: {
      name: `decoys.${group}`,
      annotations: { 'api-approved.kubernetes.io': 'unapproved, test only' },
    },
    spec: {
      group,
      scope: 'Namespaced',
      names: {
        plural: 'decoys',
        singular: 'decoy',
        kind: 'Decoy',
        listKind: 'DecoyList',
        shortNames: [shortName],
      },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object' } },
        },
      ],
    },
  };
}

// The guard with the production ObjectCounter against the real API server. Each
// review carries the CRD as the API server stores it, read back live, the way
// kube-apiserver fills oldObject for `kubectl delete crd`.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { createGuard, createObjectCounter } from '../../src/admission/handler.ts';
import { crdNames, loadBuiltInBundle, type Bundle } from '../../src/crds/bundle.ts';
import { keepOnUninstallAnnotation } from '../../src/crds/metadata.ts';
import { createClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/logger.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import {
  createCrd,
  createCustomObject,
  createInferencePool,
  deleteCrds,
  ensureNamespace,
  experimentalGroup,
  inferenceGroup,
  inferencePoolRef,
  readCrd,
  updateCrd,
  waitForCrdEstablished,
  type ObjectRef,
} from '../support/crds.ts';
import { loadReview } from './fixtures.ts';
import {
  closedPortUrl,
  kubeConfigFor,
  startSilentServer,
  unprivilegedKubeConfig,
} from './support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const namespace = 'admission-guard';
const poolCrd = `inferencepools.${inferenceGroup}`;
const alphaPoolCrd = `inferencepools.${experimentalGroup}`;
const objectivesCrd = `inferenceobjectives.${experimentalGroup}`;

let cluster: TestCluster;
let bundle: Bundle;
/** Objects a test created, deleted after it. */
let created: ObjectRef[] = [];

function guardFor(kubeConfig: KubeConfig, lookupTimeoutMs = 10_000) {
  const lookup = createObjectCounter(createClients(kubeConfig));
  return createGuard({ bundle, lookup, lookupTimeoutMs, logger: createLogger('silent') });
}

/** Returns the review kube-apiserver sends when someone deletes `crd` now. */
async function deletionReview(crd: string): Promise<Json> {
  const review = loadReview('delete-inferencepool-crd');
  review.request.uid = randomUUID();
  review.request.name = crd;
  review.request.oldObject = await readCrd(cluster, crd);
  assert.ok(review.request.oldObject, `CRD ${crd} is installed`);
  return review;
}

async function decide(crd: string, kubeConfig = cluster.kubeConfig): Promise<Json> {
  const result = await guardFor(kubeConfig)(await deletionReview(crd));
  assert.equal(result.statusCode, 200);
  return (result.body as Json).response;
}

async function addPool(group: string, name: string): Promise<void> {
  await createInferencePool(cluster, group, namespace, name);
  created.push(inferencePoolRef(group, namespace, name));
}

async function setKeepOnUninstall(crd: string, value: string): Promise<void> {
  await updateCrd(cluster, crd, (stored) => {
    const annotations = { ...stored.metadata?.annotations, [keepOnUninstallAnnotation]: value };
    stored.metadata = { ...stored.metadata, annotations };
  });
}

before(async () => {
  cluster = await useCluster();
  bundle = await loadBuiltInBundle();
  await deleteCrds(cluster, crdNames(bundle));
  for (const crd of bundle.crds) {
    const body = structuredClone(crd);
    const annotations = { ...body.metadata?.annotations, [keepOnUninstallAnnotation]: 'true' };
    body.metadata = { ...body.metadata, annotations };
    await createCrd(cluster, body);
  }
  for (const name of crdNames(bundle)) await waitForCrdEstablished(cluster, name);
  await ensureNamespace(cluster, namespace);
});

afterEach(async () => {
  const api = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
  for (const ref of created) await api.deleteNamespacedCustomObject(ref);
  created = [];
});

after(async () => {
  await deleteCrds(cluster, crdNames(bundle));
});

describe('guard on a real API server', () => {
  it('allows deleting a CRD when no objects exist', async () => {
    assert.equal((await decide(poolCrd)).allowed, true);
  });

  it('denies while a v1 InferencePool exists', async () => {
    await addPool(inferenceGroup, 'llama');
    const response = await decide(alphaPoolCrd);
    assert.equal(response.allowed, false);
    assert.equal(response.status.code, 403);
    assert.match(response.status.message, /k8s\.io\/v1: 1 \(admission-guard\/llama\)/);
    assert.match(response.status.message, new RegExp(`kubectl annotate crd ${alphaPoolCrd} `));
  });

  it('denies while an alpha InferencePool exists', async () => {
    await addPool(experimentalGroup, 'qwen');
    const response = await decide(poolCrd);
    assert.equal(response.allowed, false);
    assert.match(response.status.message, /x-k8s\.io\/v1alpha2: 1 \(admission-guard\/qwen\)/);
  });

  it('counts pools of both groups', async () => {
    await addPool(inferenceGroup, 'one');
    await addPool(inferenceGroup, 'two');
    await addPool(experimentalGroup, 'three');
    const message: string = (await decide(objectivesCrd)).status.message;
    assert.match(message, /inference\.networking\.k8s\.io\/v1: 2 /);
    assert.match(message, /inference\.networking\.x-k8s\.io\/v1alpha2: 1 /);
  });

  it('denies while objects of the deleted CRD exist', async () => {
    const ref = {
      group: experimentalGroup,
      version: 'v1alpha2',
      plural: 'inferenceobjectives',
      namespace,
      name: 'chat',
    };
    await createCustomObject(cluster, ref, {
      apiVersion: `${experimentalGroup}/v1alpha2`,
      kind: 'InferenceObjective',
      metadata: { name: 'chat', namespace },
      spec: { poolRef: { name: 'llama' } },
    });
    created.push(ref);
    const response = await decide(objectivesCrd);
    assert.equal(response.allowed, false);
    assert.match(response.status.message, /InferenceObjective .*: 1 \(admission-guard\/chat\)/);
  });

  it('allows a CRD annotated keep-on-uninstall false', async () => {
    await addPool(inferenceGroup, 'kept');
    await setKeepOnUninstall(poolCrd, 'false');
    try {
      assert.equal((await decide(poolCrd)).allowed, true);
    } finally {
      await setKeepOnUninstall(poolCrd, 'true');
    }
  });

  it('denies with 503 when listing is forbidden', async () => {
    const kubeConfig = await unprivilegedKubeConfig(cluster, namespace, 'guard');
    const response = await decide(poolCrd, kubeConfig);
    assert.equal(response.allowed, false);
    assert.equal(response.status.code, 503);
    assert.match(response.status.message, /403: .*forbidden/);
  });

  it('denies with 503 when the API server is unreachable', async () => {
    const response = await decide(poolCrd, kubeConfigFor(await closedPortUrl()));
    assert.equal(response.allowed, false);
    assert.equal(response.status.code, 503);
    assert.equal(response.status.reason, 'ServiceUnavailable');
    assert.match(response.status.message, /ECONNREFUSED/);
  });

  it('denies with 503 when the API server hangs', async () => {
    const silent = await startSilentServer();
    try {
      const guard = guardFor(kubeConfigFor(silent.url), 300);
      const result = await guard(await deletionReview(poolCrd));
      const response = (result.body as Json).response;
      assert.equal(response.status.code, 503);
      assert.match(response.status.message, /timed out after 300 ms waiting for the API server/);
    } finally {
      await silent.close();
    }
  });
});

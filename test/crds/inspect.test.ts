import assert from 'node:assert/strict';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { crdNames, loadBuiltInBundle, type Bundle } from '../../src/crds/bundle.ts';
import { inspectBundle, listingVersion, type CrdStatus } from '../../src/crds/inspect.ts';
import { installBundle } from '../../src/crds/installer.ts';
import { createClients } from '../../src/kube/client.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import {
  createInferencePool,
  deleteCrds,
  ensureNamespace,
  experimentalGroup,
  inferenceGroup,
} from '../support/crds.ts';
import { liveFixture } from '../support/live-fixtures.ts';
import { captureLogs } from '../support/logs.ts';

const namespaces = ['crds-inspect-test-a', 'crds-inspect-test-b'];
const gaPools = 'inferencepools.inference.networking.k8s.io';
const objectives = 'inferenceobjectives.inference.networking.x-k8s.io';
const callOptions = { requestTimeoutMs: 10_000, retryTimeoutMs: 10_000 };

const cluster: TestCluster = await useCluster();
let bundle: Bundle;

async function installCurrent(keepOnUninstall: boolean): Promise<void> {
  const options = {
    skipIfExists: false,
    keepOnUninstall,
    allowDowngrade: false,
    establishTimeoutMs: 60_000,
    connectTimeoutMs: 10_000,
    requestTimeoutMs: 10_000,
  };
  await installBundle(createClients(cluster.kubeConfig), bundle, options, captureLogs().logger);
}

async function statusOf(name: string): Promise<CrdStatus> {
  const statuses = await inspectBundle(
    createClients(cluster.kubeConfig),
    bundle,
    callOptions,
    captureLogs().logger,
  );
  const status = statuses.find((candidate) => candidate.name === name);
  assert.ok(status, `no status for ${name}`);
  return status;
}

before(async () => {
  bundle = await loadBuiltInBundle();
  for (const namespace of namespaces) await ensureNamespace(cluster, namespace);
});

beforeEach(async () => {
  await deleteCrds(cluster, crdNames(bundle));
});

afterEach(async () => {
  await deleteCrds(cluster, crdNames(bundle));
});

describe('inspectBundle', () => {
  it('reports CRDs that are not installed', async () => {
    const status = await statusOf(gaPools);
    assert.deepEqual(status, {
      name: gaPools,
      installed: false,
      servedVersions: [],
      established: false,
    });
  });

  it('reports version, served versions and keep-on-uninstall', async () => {
    await installCurrent(false);
    const status = await statusOf(objectives);
    assert.equal(status.installed, true);
    assert.equal(status.bundleVersion, 'v1.3.0');
    assert.deepEqual(status.servedVersions, ['v1alpha2']);
    assert.equal(status.established, true);
    assert.equal(status.keepOnUninstall, 'false');
  });

  it('counts objects across namespaces', async () => {
    await installCurrent(true);
    await createInferencePool(cluster, inferenceGroup, namespaces[0]!, 'pool-one');
    await createInferencePool(cluster, inferenceGroup, namespaces[0]!, 'pool-two');
    await createInferencePool(cluster, inferenceGroup, namespaces[1]!, 'pool-three');
    await createInferencePool(cluster, experimentalGroup, namespaces[1]!, 'pool-alpha');
    assert.equal((await statusOf(gaPools)).objects, 3);
    assert.equal((await statusOf('inferencepools.inference.networking.x-k8s.io')).objects, 1);
    assert.equal((await statusOf(objectives)).objects, 0);
  });
});

describe('listingVersion', () => {
  it('prefers the served storage version', () => {
    const crd = liveFixture('stored-version-v1alpha1');
    assert.equal(listingVersion(crd), 'v1alpha2');
  });

  it('falls back to the first served version', () => {
    const crd = liveFixture('stored-version-v1alpha1');
    crd.spec.versions[1]!.served = false;
    assert.equal(listingVersion(crd), 'v1alpha1');
  });

  it('returns nothing when no version is served', () => {
    const crd = liveFixture('stored-version-v1alpha1');
    for (const version of crd.spec.versions) version.served = false;
    assert.equal(listingVersion(crd), undefined);
  });
});

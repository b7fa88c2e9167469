// The production ObjectCounter against the real API server: counts with one
// small list call per type, in all namespaces, and zero for a type whose CRD
// is not installed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createObjectCounter } from '../../src/admission/handler.ts';
import type { ObjectType } from '../../src/admission/objects.ts';
import { inferencePoolTypes } from '../../src/admission/plan.ts';
import { crdNames, loadBuiltInBundle, type Bundle } from '../../src/crds/bundle.ts';
import { createClients } from '../../src/kube/client.ts';
import { httpStatusOf } from '../../src/kube/status.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import {
  createCrd,
  createInferencePool,
  deleteCrds,
  ensureNamespace,
  experimentalGroup,
  inferenceGroup,
  waitForCrdEstablished,
} from '../support/crds.ts';
import { unprivilegedKubeConfig } from './support.ts';

const namespaces = ['admission-counter-a', 'admission-counter-b', 'admission-counter-c'];
const options = { limit: 3, timeoutMs: 10_000 };
const none = { count: 0, exact: true, examples: [] };
const poolCrds = [
  `inferencepools.${inferenceGroup}`,
  `inferencepools.${experimentalGroup}`,
  `inferencepoolimports.${experimentalGroup}`,
];

let cluster: TestCluster;
let bundle: Bundle;
let poolsV1: ObjectType;
let poolsAlpha: ObjectType;

async function installCrds(names: readonly string[]): Promise<void> {
  for (const crd of bundle.crds.filter((c) => names.includes(c.metadata?.name ?? ''))) {
    await createCrd(cluster, structuredClone(crd));
  }
  for (const name of names) await waitForCrdEstablished(cluster, name);
}

before(async () => {
  cluster = await useCluster();
  bundle = await loadBuiltInBundle();
  [poolsV1, poolsAlpha] = inferencePoolTypes(bundle) as [ObjectType, ObjectType];
  await deleteCrds(cluster, crdNames(bundle));
  await installCrds(poolCrds);
  for (const namespace of namespaces) await ensureNamespace(cluster, namespace);
});

after(async () => {
  await deleteCrds(cluster, crdNames(bundle));
});

describe('createObjectCounter', () => {
  it('counts 25 pools across namespaces with limit 3', async () => {
    for (let i = 0; i < 25; i++) {
      const namespace = namespaces[i % namespaces.length] as string;
      await createInferencePool(cluster, inferenceGroup, namespace, `pool-${i}`);
    }
    const counter = createObjectCounter(createClients(cluster.kubeConfig));
    const count = await counter.count(poolsV1, options);
    assert.equal(count.count, 25);
    assert.equal(count.exact, true);
    assert.equal(count.examples.length, 3);
    for (const example of count.examples) {
      assert.ok(namespaces.includes(example.namespace), example.namespace);
      assert.match(example.name, /^pool-\d+$/);
    }
  });

  it('counts a list that fits the limit exactly', async () => {
    for (let i = 0; i < 3; i++) {
      await createInferencePool(cluster, experimentalGroup, namespaces[i] as string, `alpha-${i}`);
    }
    const counter = createObjectCounter(createClients(cluster.kubeConfig));
    const count = await counter.count(poolsAlpha, options);
    assert.equal(count.count, 3);
    assert.equal(count.exact, true);
    const names = count.examples.map((ref) => ref.name).sort();
    assert.deepEqual(names, ['alpha-0', 'alpha-1', 'alpha-2']);
  });

  it('returns zero for an installed type without objects', async () => {
    const counter = createObjectCounter(createClients(cluster.kubeConfig));
    const imports = {
      kind: 'InferencePoolImport',
      group: experimentalGroup,
      version: 'v1alpha1',
      plural: 'inferencepoolimports',
    };
    assert.deepEqual(await counter.count(imports, options), none);
  });

  it('returns zero for a type whose CRD is not installed', async () => {
    const counter = createObjectCounter(createClients(cluster.kubeConfig));
    const objectives = {
      kind: 'InferenceObjective',
      group: experimentalGroup,
      version: 'v1alpha2',
      plural: 'inferenceobjectives',
    };
    assert.deepEqual(await counter.count(objectives, options), none);
  });

  it('rejects when listing is forbidden', async () => {
    const kubeConfig = await unprivilegedKubeConfig(cluster, namespaces[0] as string, 'counter');
    const counter = createObjectCounter(createClients(kubeConfig));
    await assert.rejects(counter.count(poolsV1, options), (err: unknown) => {
      assert.equal(httpStatusOf(err), 403);
      return true;
    });
  });
});

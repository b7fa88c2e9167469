import assert from 'node:assert/strict';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { createApiCaller, createCrdApi, type CrdApi } from '../../src/crds/api.ts';
import { applyPlan, type CrdTask } from '../../src/crds/apply.ts';
import { crdNames, loadBuiltInBundle, type Bundle } from '../../src/crds/bundle.ts';
import { installBundle } from '../../src/crds/installer.ts';
import { planCrd, type PlanOptions } from '../../src/crds/plan.ts';
import { bundleVersionAnnotation } from '../../src/crds/version.ts';
import { errorCodes, hasCode } from '../../src/errors.ts';
import { createClients } from '../../src/kube/client.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import { createCrd, deleteCrds, loadFixtureBundle, readCrd, updateCrd } from '../support/crds.ts';
import { captureLogs } from '../support/logs.ts';

const objectives = 'inferenceobjectives.inference.networking.x-k8s.io';
const experimentalPools = 'inferencepools.inference.networking.x-k8s.io';
const planOptions: PlanOptions = {
  skipIfExists: false,
  keepOnUninstall: true,
  allowDowngrade: false,
};
const conflictMessage = 'crd changed concurrently, reading it again';

const cluster: TestCluster = await useCluster();
let current: Bundle;
let older: Bundle;

function crdApi(logs = captureLogs()): CrdApi {
  const call = createApiCaller({ requestTimeoutMs: 10_000, retryTimeoutMs: 10_000 }, logs.logger);
  return createCrdApi(createClients(cluster.kubeConfig), call, 10_000);
}

function taskFor(name: string): CrdTask {
  const desired = current.crds.find((crd) => crd.metadata?.name === name);
  assert.ok(desired, `bundle has no CRD ${name}`);
  return { name, desired, bundleVersion: current.version, options: planOptions };
}

async function installOlder(): Promise<void> {
  const options = {
    ...planOptions,
    establishTimeoutMs: 60_000,
    connectTimeoutMs: 10_000,
    requestTimeoutMs: 10_000,
  };
  await installBundle(createClients(cluster.kubeConfig), older, options, captureLogs().logger);
}

async function liveCrd(name: string): Promise<V1CustomResourceDefinition> {
  const crd = await readCrd(cluster, name);
  assert.ok(crd, `CRD ${name} is missing`);
  return crd;
}

before(async () => {
  current = await loadBuiltInBundle();
  older = await loadFixtureBundle('v1.2.0');
});

beforeEach(async () => {
  await deleteCrds(cluster, crdNames(current));
});

// Each test cleans up, rather than the file at its end, because when the file
// runs alone the hook that stops its private control plane runs first.
afterEach(async () => {
  await deleteCrds(cluster, crdNames(current));
});

describe('applyPlan after a conflict', () => {
  it('re-reads a CRD whose resourceVersion went stale', async () => {
    await installOlder();
    const task = taskFor(objectives);
    const plan = planCrd(task.desired, task.bundleVersion, await liveCrd(objectives), planOptions);
    await updateCrd(cluster, objectives, (crd) => {
      crd.metadata!.labels = { ...crd.metadata?.labels, 'team.example.com/owner': 'ml-platform' };
    });

    const logs = captureLogs();
    const outcome = await applyPlan(crdApi(), task, plan, logs.logger);
    assert.equal(outcome.action, 'upgraded');
    assert.equal(logs.withMessage(conflictMessage).length, 1);
    const live = await liveCrd(objectives);
    assert.equal(live.metadata?.labels?.['team.example.com/owner'], 'ml-platform');
    assert.equal(live.metadata?.annotations?.[bundleVersionAnnotation], 'v1.3.0');
  });

  it('accepts a CRD that another installer created first', async () => {
    const task = taskFor(objectives);
    const plan = planCrd(task.desired, task.bundleVersion, undefined, planOptions);
    assert.equal(plan.kind, 'create');
    await createCrd(cluster, (plan as typeof plan & { kind: 'create' }).body);

    const logs = captureLogs();
    const outcome = await applyPlan(crdApi(), task, plan, logs.logger);
    assert.equal(outcome.action, 'unchanged');
    assert.equal(logs.withMessage(conflictMessage).length, 1);
  });

  it('checks stored versions again after re-reading', async () => {
    await installOlder();
    const task = taskFor(experimentalPools);
    const plan = planCrd(
      task.desired,
      task.bundleVersion,
      await liveCrd(experimentalPools),
      planOptions,
    );
    await updateCrd(cluster, experimentalPools, (crd) => {
      const v1alpha2 = crd.spec.versions[0]!;
      crd.spec.versions = [
        { ...structuredClone(v1alpha2), name: 'v1alpha1', storage: true },
        { ...v1alpha2, storage: false },
      ];
    });

    await assert.rejects(applyPlan(crdApi(), task, plan, captureLogs().logger), (err: unknown) => {
      assert.ok(hasCode(err, errorCodes.storedVersionDropped), String(err));
      assert.doesNotMatch(err.message, /No CRD was changed/);
      return true;
    });
    const live = await liveCrd(experimentalPools);
    assert.equal(live.metadata?.annotations?.[bundleVersionAnnotation], 'v1.2.0');
  });
});

import assert from 'node:assert/strict';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { crdNames, loadBuiltInBundle, type Bundle } from '../../src/crds/bundle.ts';
import {
  installBundle,
  InstallError,
  type InstallOptions,
  type InstallReport,
} from '../../src/crds/installer.ts';
import {
  keepOnUninstallAnnotation,
  managedByLabel,
  managedByValue,
} from '../../src/crds/metadata.ts';
import { lastAppliedAnnotation } from '../../src/crds/takeover.ts';
import { bundleVersionAnnotation } from '../../src/crds/version.ts';
import { errorCodes, hasCode } from '../../src/errors.ts';
import { createClients } from '../../src/kube/client.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import {
  createCrd,
  createInferenceModelRewrite,
  createInferencePool,
  deleteCrds,
  ensureNamespace,
  inferenceGroup,
  inferencePoolRef,
  loadFixtureBundle,
  modelRewriteRef,
  nameClaimingCrd,
  readCrd,
  readCustomObject,
  updateCrd,
  waitForCrdEstablished,
} from '../support/crds.ts';
import { installObjectsChart } from '../support/helm.ts';
import { kubectl } from '../support/kubectl.ts';
import { captureLogs } from '../support/logs.ts';

const namespace = 'crds-installer-test';
const objectives = 'inferenceobjectives.inference.networking.x-k8s.io';
const gaPools = 'inferencepools.inference.networking.k8s.io';
const experimentalPools = 'inferencepools.inference.networking.x-k8s.io';
const rewrites = 'inferencemodelrewrites.inference.networking.x-k8s.io';

const defaults: InstallOptions = {
  skipIfExists: false,
  keepOnUninstall: true,
  allowDowngrade: false,
  establishTimeoutMs: 60_000,
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
};

const cluster: TestCluster = await useCluster();
let current: Bundle;
let older: Bundle;
let newer: Bundle;
let names: string[];

function install(
  bundle: Bundle,
  options: Partial<InstallOptions> = {},
  logs = captureLogs(),
): Promise<InstallReport> {
  return installBundle(
    createClients(cluster.kubeConfig),
    bundle,
    { ...defaults, ...options },
    logs.logger,
  );
}

function actionOf(report: InstallReport, name: string): string | undefined {
  return report.outcomes.find((outcome) => outcome.name === name)?.action;
}

async function liveCrd(name: string): Promise<V1CustomResourceDefinition> {
  const crd = await readCrd(cluster, name);
  assert.ok(crd, `CRD ${name} is missing`);
  return crd;
}

function isReady(crd: V1CustomResourceDefinition): boolean {
  const conditions = crd.status?.conditions ?? [];
  const isTrue = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
  return isTrue('Established') && isTrue('NamesAccepted');
}

type Schema = { properties?: Record<string, Schema>; items?: Schema };

function schemaOf(crd: V1CustomResourceDefinition, version: string): Schema {
  const found = crd.spec.versions.find((candidate) => candidate.name === version);
  return found?.schema?.openAPIV3Schema as Schema;
}

function ruleProperties(crd: V1CustomResourceDefinition): string[] {
  const rules = schemaOf(crd, 'v1alpha2').properties?.spec?.properties?.rules;
  return Object.keys(rules?.items?.properties ?? {}).sort();
}

function poolSpecProperties(crd: V1CustomResourceDefinition): string[] {
  return Object.keys(schemaOf(crd, 'v1').properties?.spec?.properties ?? {}).sort();
}

before(async () => {
  current = await loadBuiltInBundle();
  older = await loadFixtureBundle('v1.2.0');
  newer = await loadFixtureBundle('v1.4.0');
  names = crdNames(current);
  await ensureNamespace(cluster, namespace);
});

beforeEach(async () => {
  await deleteCrds(cluster, names);
});

// Each test cleans up, rather than the file at its end, because when the file
// runs alone the hook that stops its private control plane runs first.
afterEach(async () => {
  await deleteCrds(cluster, names);
});

describe('installBundle on an empty cluster', () => {
  it('creates all five CRDs', async () => {
    const report = await install(current);
    assert.equal(report.bundleVersion, 'v1.3.0');
    assert.deepEqual(
      report.outcomes.map((outcome) => outcome.name),
      names,
    );
    assert.deepEqual(
      report.outcomes.map((outcome) => outcome.action),
      names.map(() => 'created'),
    );
    assert.deepEqual(report.notEstablished, []);
  });

  it('leaves every CRD Established and labelled', async () => {
    await install(current, { keepOnUninstall: false });
    for (const name of names) {
      const crd = await liveCrd(name);
      assert.equal(isReady(crd), true, `${name} is not Established`);
      assert.equal(crd.metadata?.labels?.[managedByLabel], managedByValue, name);
      assert.equal(crd.metadata?.annotations?.[keepOnUninstallAnnotation], 'false', name);
      assert.equal(crd.metadata?.annotations?.[bundleVersionAnnotation], 'v1.3.0', name);
    }
  });

  it('records the product as field manager', async () => {
    await install(current);
    const crd = await liveCrd(objectives);
    const managers = (crd.metadata?.managedFields ?? []).map((entry) => entry.manager);
    assert.ok(managers.includes(managedByValue), `managers: ${managers.join(', ')}`);
  });

  it('reports unchanged on a second run', async () => {
    await install(current);
    const before = await liveCrd(gaPools);
    const report = await install(current);
    assert.deepEqual(
      report.outcomes.map((outcome) => outcome.action),
      names.map(() => 'unchanged'),
    );
    assert.equal(
      (await liveCrd(gaPools)).metadata?.resourceVersion,
      before.metadata?.resourceVersion,
    );
  });
});

describe('installBundle over v1.2.0', () => {
  it('upgrades in place and keeps the objects', async () => {
    await install(older);
    await createInferencePool(cluster, inferenceGroup, namespace, 'pool-upgrade');
    const rule = {
      matches: [{ model: { value: 'llama' } }],
      split: [{ modelRewrite: 'llama-3-8b', weight: 10 }],
    };
    await createInferenceModelRewrite(cluster, namespace, 'rewrite-upgrade', 'pool-upgrade', [
      rule,
    ]);

    const report = await install(current);
    for (const outcome of report.outcomes) {
      assert.equal(outcome.action, 'upgraded', outcome.name);
      assert.equal(outcome.previousVersion, 'v1.2.0', outcome.name);
      assert.equal(outcome.installedVersion, 'v1.3.0', outcome.name);
    }
    const pool = await readCustomObject(
      cluster,
      inferencePoolRef(inferenceGroup, namespace, 'pool-upgrade'),
    );
    const rewrite = await readCustomObject(cluster, modelRewriteRef(namespace, 'rewrite-upgrade'));
    assert.ok(pool, 'the InferencePool is gone');
    assert.ok(rewrite, 'the InferenceModelRewrite is gone');
  });

  it('replaces the renamed field in the schema', async () => {
    await install(older);
    assert.deepEqual(ruleProperties(await liveCrd(rewrites)), ['matches', 'split']);
    await install(current);
    assert.deepEqual(ruleProperties(await liveCrd(rewrites)), ['matches', 'targets']);
  });

  it('accepts objects in the new schema afterwards', async () => {
    await install(older);
    await install(current);
    const rule = {
      matches: [{ model: { value: 'llama' } }],
      targets: [{ modelRewrite: 'llama-3-8b' }],
    };
    await createInferenceModelRewrite(cluster, namespace, 'rewrite-after-upgrade', 'pool', [rule]);
    const rewrite = await readCustomObject(
      cluster,
      modelRewriteRef(namespace, 'rewrite-after-upgrade'),
    );
    const rules = (rewrite?.spec as { rules: { targets: unknown[] }[] }).rules;
    assert.deepEqual(rules[0]?.targets, [{ modelRewrite: 'llama-3-8b' }]);
  });
});

describe('installBundle over v1.4.0', () => {
  it('leaves a newer bundle alone and warns', async () => {
    await install(newer);
    const logs = captureLogs();
    const report = await install(current, {}, logs);
    for (const outcome of report.outcomes) {
      assert.equal(outcome.action, 'skipped-newer', outcome.name);
      assert.equal(outcome.installedVersion, 'v1.4.0', outcome.name);
    }
    assert.ok(poolSpecProperties(await liveCrd(gaPools)).includes('appProtocol'));
    const warnings = logs.withMessage('skipped crd');
    assert.equal(warnings.length, names.length);
    assert.equal(warnings[0]?.level, 'warn');
    assert.match(String(warnings[0]?.reason), /newer bundle-version/);
  });

  it('downgrades when allowDowngrade is on', async () => {
    await install(newer);
    const report = await install(current, { allowDowngrade: true });
    for (const outcome of report.outcomes) {
      assert.equal(outcome.action, 'downgraded', outcome.name);
      assert.equal(outcome.previousVersion, 'v1.4.0', outcome.name);
    }
    const crd = await liveCrd(gaPools);
    assert.equal(poolSpecProperties(crd).includes('appProtocol'), false);
    assert.equal(crd.metadata?.annotations?.[bundleVersionAnnotation], 'v1.3.0');
  });
});

describe('installBundle with the same version', () => {
  it('repairs a drifted CRD and leaves the rest', async () => {
    await install(current);
    await updateCrd(cluster, gaPools, (crd) => {
      const spec = schemaOf(crd, 'v1').properties?.spec?.properties as Record<string, unknown>;
      delete spec.endpointPickerRef;
      crd.metadata!.annotations![keepOnUninstallAnnotation] = 'false';
    });
    const report = await install(current);
    assert.equal(actionOf(report, gaPools), 'reconciled');
    assert.equal(actionOf(report, objectives), 'unchanged');
    const crd = await liveCrd(gaPools);
    assert.ok(poolSpecProperties(crd).includes('endpointPickerRef'));
    assert.equal(crd.metadata?.annotations?.[keepOnUninstallAnnotation], 'true');
  });
});

describe('installBundle with skipIfExists', () => {
  it('creates only the missing CRDs', async () => {
    await install(older);
    await deleteCrds(cluster, [objectives]);
    const report = await install(current, { skipIfExists: true });
    assert.equal(actionOf(report, objectives), 'created');
    for (const name of names.filter((candidate) => candidate !== objectives)) {
      assert.equal(actionOf(report, name), 'skipped-exists', name);
      assert.equal(
        (await liveCrd(name)).metadata?.annotations?.[bundleVersionAnnotation],
        'v1.2.0',
        name,
      );
    }
  });
});

describe('installBundle with a stored version to drop', () => {
  async function storeAtV1alpha1(): Promise<void> {
    await updateCrd(cluster, experimentalPools, (crd) => {
      const v1alpha2 = crd.spec.versions[0]!;
      crd.spec.versions = [
        { ...structuredClone(v1alpha2), name: 'v1alpha1', storage: true },
        { ...v1alpha2, storage: false },
      ];
    });
  }

  it('rejects the install and names the version', async () => {
    await install(older);
    await storeAtV1alpha1();
    await assert.rejects(install(current), (err: unknown) => {
      assert.ok(hasCode(err, errorCodes.storedVersionDropped), String(err));
      assert.match(
        err.message,
        /inferencepools\.inference\.networking\.x-k8s\.io \(version v1alpha1\)/,
      );
      return true;
    });
  });

  it('changes no CRD', async () => {
    await install(older);
    await storeAtV1alpha1();
    const before = await Promise.all(
      names.map(async (name) => (await liveCrd(name)).metadata?.resourceVersion),
    );
    await assert.rejects(install(current));
    const afterwards = await Promise.all(
      names.map(async (name) => (await liveCrd(name)).metadata?.resourceVersion),
    );
    assert.deepEqual(afterwards, before);
  });
});

describe('installBundle with a name conflict', () => {
  it('reports the CRD that is not Established', async () => {
    const decoy = nameClaimingCrd(inferenceGroup, 'infpool');
    await createCrd(cluster, decoy);
    try {
      await waitForCrdEstablished(cluster, decoy.metadata!.name!);
      await assert.rejects(install(current, { establishTimeoutMs: 2_000 }), (err: unknown) => {
        assert.ok(err instanceof InstallError, String(err));
        assert.equal(err.code, errorCodes.notEstablished);
        assert.deepEqual(err.report.notEstablished, [gaPools]);
        assert.equal(actionOf(err.report, gaPools), 'created');
        assert.match(
          err.message,
          /inferencepools\.inference\.networking\.k8s\.io \(.*NamesAccepted=False/,
        );
        return true;
      });
    } finally {
      await deleteCrds(cluster, [decoy.metadata!.name!]);
    }
  });
});

describe('installBundle over CRDs of other tools', () => {
  it('takes over a kubectl client-side apply', async () => {
    const crd = structuredClone(
      older.crds.find((candidate) => candidate.metadata?.name === objectives)!,
    );
    crd.metadata!.labels = { 'team.example.com/owner': 'ml-platform' };
    crd.metadata!.annotations!['example.com/ticket-queue'] = 'ml-infra';
    const applied = await kubectl(cluster, ['apply', '-f', '-'], yaml.dump(crd));
    assert.equal(applied.code, 0, applied.stderr);

    const logs = captureLogs();
    const report = await install(current, {}, logs);
    assert.equal(actionOf(report, objectives), 'upgraded');
    const takeOvers = logs.withMessage('took over crd');
    assert.equal(takeOvers.length, 1);
    assert.equal(takeOvers[0]?.crd, objectives);
    assert.deepEqual(takeOvers[0]?.previousManagers, ['kubectl-client-side-apply (Update)']);

    const live = await liveCrd(objectives);
    assert.equal(live.metadata?.labels?.[managedByLabel], managedByValue);
    assert.equal(live.metadata?.labels?.['team.example.com/owner'], 'ml-platform');
    assert.equal(live.metadata?.annotations?.['example.com/ticket-queue'], 'ml-infra');
    assert.equal(live.metadata?.annotations?.[lastAppliedAnnotation], undefined);
  });

  it('takes over a Helm release', async () => {
    const crd = older.crds.find((candidate) => candidate.metadata?.name === experimentalPools)!;
    const release = `gateway-crds-${Date.now().toString(36)}`;
    const helmInstall = await installObjectsChart(cluster, namespace, release, [crd]);
    assert.equal(helmInstall.code, 0, helmInstall.stderr);

    const logs = captureLogs();
    await install(current, {}, logs);
    const takeOvers = logs.withMessage('took over crd');
    assert.equal(takeOvers.length, 1);
    assert.equal(takeOvers[0]?.previousManagedBy, 'Helm');
    assert.equal(takeOvers[0]?.helmRelease, `${namespace}/${release}`);

    const annotations = (await liveCrd(experimentalPools)).metadata?.annotations ?? {};
    assert.equal(annotations['meta.helm.sh/release-name'], undefined);
    assert.equal(annotations['meta.helm.sh/release-namespace'], undefined);
  });
});

describe('installBundle run concurrently', () => {
  function countActions(reports: readonly InstallReport[], name: string): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const report of reports) {
      const action = actionOf(report, name) ?? 'missing';
      counts[action] = (counts[action] ?? 0) + 1;
    }
    return counts;
  }

  it('lets two installers create the CRDs together', async () => {
    const reports = await Promise.all([install(current), install(current)]);
    for (const name of names) {
      assert.deepEqual(countActions(reports, name), { created: 1, unchanged: 1 }, name);
      assert.equal(isReady(await liveCrd(name)), true, name);
    }
  });

  it('lets three installers upgrade the CRDs together', async () => {
    await install(older);
    const reports = await Promise.all([install(current), install(current), install(current)]);
    for (const name of names) {
      assert.deepEqual(countActions(reports, name), { upgraded: 1, unchanged: 2 }, name);
      assert.equal(
        (await liveCrd(name)).metadata?.annotations?.[bundleVersionAnnotation],
        'v1.3.0',
        name,
      );
    }
  });
});

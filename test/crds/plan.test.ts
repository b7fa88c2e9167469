import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { loadBuiltInBundle, type Bundle } from '../../src/crds/bundle.ts';
import {
  keepOnUninstallAnnotation,
  managedByLabel,
  managedByValue,
} from '../../src/crds/metadata.ts';
import { planCrd, type CrdPlan, type PlanOptions } from '../../src/crds/plan.ts';
import { lastAppliedAnnotation } from '../../src/crds/takeover.ts';
import { bundleVersionAnnotation } from '../../src/crds/version.ts';
import { liveFixture } from '../support/live-fixtures.ts';

const objectives = 'inferenceobjectives.inference.networking.x-k8s.io';
const experimentalPools = 'inferencepools.inference.networking.x-k8s.io';
const defaults: PlanOptions = { skipIfExists: false, keepOnUninstall: true, allowDowngrade: false };

let bundle: Bundle;

function desired(name: string): V1CustomResourceDefinition {
  const crd = bundle.crds.find((candidate) => candidate.metadata?.name === name);
  assert.ok(crd, `bundle has no CRD ${name}`);
  return crd;
}

function plan(
  name: string,
  live: V1CustomResourceDefinition | undefined,
  options: Partial<PlanOptions> = {},
): CrdPlan {
  return planCrd(desired(name), bundle.version, live, { ...defaults, ...options });
}

function replaced(result: CrdPlan): CrdPlan & { kind: 'replace' } {
  assert.equal(result.kind, 'replace');
  return result as CrdPlan & { kind: 'replace' };
}

function withVersion(
  live: V1CustomResourceDefinition,
  version: string | undefined,
): V1CustomResourceDefinition {
  const annotations = { ...live.metadata?.annotations };
  if (version === undefined) delete annotations[bundleVersionAnnotation];
  else annotations[bundleVersionAnnotation] = version;
  return { ...live, metadata: { ...live.metadata, annotations } };
}

before(async () => {
  bundle = await loadBuiltInBundle();
});

describe('planCrd for an absent CRD', () => {
  it('creates it with the managed-by label', () => {
    const result = plan(objectives, undefined);
    assert.equal(result.kind, 'create');
    assert.equal(result.action, 'created');
    assert.equal(
      (result as CrdPlan & { kind: 'create' }).body.metadata?.labels?.[managedByLabel],
      managedByValue,
    );
  });

  it('writes keep-on-uninstall from the option', () => {
    const keep = plan(objectives, undefined, { keepOnUninstall: true }) as CrdPlan & {
      kind: 'create';
    };
    const drop = plan(objectives, undefined, { keepOnUninstall: false }) as CrdPlan & {
      kind: 'create';
    };
    assert.equal(keep.body.metadata?.annotations?.[keepOnUninstallAnnotation], 'true');
    assert.equal(drop.body.metadata?.annotations?.[keepOnUninstallAnnotation], 'false');
  });

  it('creates it even when skipIfExists is on', () => {
    assert.equal(plan(objectives, undefined, { skipIfExists: true }).kind, 'create');
  });
});

describe('planCrd for a kubectl client-side apply of v1.2.0', () => {
  it('upgrades it from v1.2.0', () => {
    const result = replaced(plan(objectives, liveFixture('kubectl-client-side-apply')));
    assert.equal(result.action, 'upgraded');
    assert.equal(result.previousVersion, 'v1.2.0');
  });

  it('replaces the spec with the bundle spec', () => {
    const result = replaced(plan(objectives, liveFixture('kubectl-client-side-apply')));
    assert.deepEqual(result.body.spec, desired(objectives).spec);
  });

  it('keeps resourceVersion and leaves managedFields to the server', () => {
    const live = liveFixture('kubectl-client-side-apply');
    const result = replaced(plan(objectives, live));
    assert.equal(result.body.metadata?.resourceVersion, live.metadata?.resourceVersion);
    assert.equal(result.body.metadata?.managedFields, undefined);
  });

  it('names kubectl as the previous owner', () => {
    const owner = replaced(
      plan(objectives, liveFixture('kubectl-client-side-apply')),
    ).previousOwner;
    assert.deepEqual(owner?.managers, ['kubectl-client-side-apply (Update)']);
    assert.equal(owner?.lastApplied, true);
    assert.equal(owner?.managedBy, undefined);
  });

  it('drops last-applied-configuration and keeps user metadata', () => {
    const { body } = replaced(plan(objectives, liveFixture('kubectl-client-side-apply')));
    const annotations = body.metadata?.annotations ?? {};
    assert.equal(annotations[lastAppliedAnnotation], undefined);
    assert.equal(annotations['example.com/ticket-queue'], 'ml-infra');
    assert.equal(annotations[bundleVersionAnnotation], 'v1.3.0');
    assert.equal(annotations[keepOnUninstallAnnotation], 'true');
    assert.equal(body.metadata?.labels?.['team.example.com/owner'], 'ml-platform');
    assert.equal(body.metadata?.labels?.[managedByLabel], managedByValue);
  });
});

describe('planCrd for a Helm release of v1.2.0', () => {
  it('names the Helm release as the previous owner', () => {
    const owner = replaced(
      plan(experimentalPools, liveFixture('helm-server-side-apply')),
    ).previousOwner;
    assert.equal(owner?.managedBy, 'Helm');
    assert.equal(owner?.helmRelease, 'default/gateway-crds');
    assert.deepEqual(owner?.managers, ['helm (Apply)']);
    assert.equal(owner?.lastApplied, false);
  });

  it('removes the Helm release annotations and label value', () => {
    const { body } = replaced(plan(experimentalPools, liveFixture('helm-server-side-apply')));
    const annotations = body.metadata?.annotations ?? {};
    assert.equal(annotations['meta.helm.sh/release-name'], undefined);
    assert.equal(annotations['meta.helm.sh/release-namespace'], undefined);
    assert.equal(body.metadata?.labels?.[managedByLabel], managedByValue);
  });
});

describe('planCrd for a CRD this product installed', () => {
  it('leaves an identical CRD unchanged despite server defaults', () => {
    const result = plan(objectives, liveFixture('installed-by-product'));
    assert.equal(result.kind, 'leave');
    assert.equal(result.action, 'unchanged');
  });

  it('reconciles a drifted schema', () => {
    const live = liveFixture('installed-by-product');
    const schema = live.spec.versions[0]?.schema?.openAPIV3Schema as {
      properties: Record<string, unknown>;
    };
    delete schema.properties.status;
    const result = replaced(plan(objectives, live));
    assert.equal(result.action, 'reconciled');
    assert.equal(result.previousOwner, undefined);
  });

  it('reconciles a changed keep-on-uninstall value', () => {
    const result = plan(objectives, liveFixture('installed-by-product'), {
      keepOnUninstall: false,
    });
    assert.equal(replaced(result).action, 'reconciled');
    assert.equal(replaced(result).body.metadata?.annotations?.[keepOnUninstallAnnotation], 'false');
  });

  it('treats a CRD that lost the label as taken over', () => {
    const live = liveFixture('installed-by-product');
    delete live.metadata?.labels?.[managedByLabel];
    const result = replaced(plan(objectives, live));
    assert.equal(result.action, 'reconciled');
    assert.deepEqual(result.previousOwner?.managers, []);
  });
});

describe('planCrd version order', () => {
  it('skips a newer installed version', () => {
    const result = plan(objectives, withVersion(liveFixture('installed-by-product'), 'v1.4.0'));
    assert.equal(result.action, 'skipped-newer');
    assert.equal(result.previousVersion, 'v1.4.0');
  });

  it('downgrades a newer version when allowed', () => {
    const live = withVersion(liveFixture('installed-by-product'), 'v1.4.0');
    const result = replaced(plan(objectives, live, { allowDowngrade: true }));
    assert.equal(result.action, 'downgraded');
    assert.equal(result.body.metadata?.annotations?.[bundleVersionAnnotation], 'v1.3.0');
  });

  it('skips a newer pre-release of the next version', () => {
    const result = plan(
      objectives,
      withVersion(liveFixture('installed-by-product'), 'v1.4.0-rc.1'),
    );
    assert.equal(result.action, 'skipped-newer');
  });

  it('upgrades a CRD without bundle-version', () => {
    const result = replaced(
      plan(objectives, withVersion(liveFixture('installed-by-product'), undefined)),
    );
    assert.equal(result.action, 'upgraded');
    assert.equal(result.previousVersion, undefined);
  });

  it('upgrades a CRD with an unreadable bundle-version', () => {
    const result = replaced(
      plan(objectives, withVersion(liveFixture('installed-by-product'), 'main')),
    );
    assert.equal(result.action, 'upgraded');
    assert.equal(result.previousVersion, 'main');
  });

  it('skips every existing CRD when skipIfExists is on', () => {
    const older = plan(objectives, liveFixture('kubectl-client-side-apply'), {
      skipIfExists: true,
    });
    const newer = plan(objectives, withVersion(liveFixture('installed-by-product'), 'v1.4.0'), {
      skipIfExists: true,
    });
    assert.equal(older.action, 'skipped-exists');
    assert.equal(newer.action, 'skipped-exists');
  });
});

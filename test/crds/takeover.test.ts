import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  helmReleaseNameAnnotation,
  helmReleaseNamespaceAnnotation,
  lastAppliedAnnotation,
  previousOwner,
  withoutOwnershipAnnotations,
} from '../../src/crds/takeover.ts';
import { liveFixture } from '../support/live-fixtures.ts';

describe('previousOwner', () => {
  it('returns nothing for a CRD with this product label', () => {
    assert.equal(previousOwner(liveFixture('installed-by-product')), undefined);
  });

  it('describes a kubectl client-side apply', () => {
    assert.deepEqual(previousOwner(liveFixture('kubectl-client-side-apply')), {
      managedBy: undefined,
      helmRelease: undefined,
      managers: ['kubectl-client-side-apply (Update)'],
      lastApplied: true,
    });
  });

  it('describes a Helm release', () => {
    assert.deepEqual(previousOwner(liveFixture('helm-server-side-apply')), {
      managedBy: 'Helm',
      helmRelease: 'default/gateway-crds',
      managers: ['helm (Apply)'],
      lastApplied: false,
    });
  });

  it('leaves out the API server status writes', () => {
    const owner = previousOwner(liveFixture('stored-version-v1alpha1'));
    assert.deepEqual(owner?.managers, ['kubectl-create (Update)', 'kubectl-replace (Update)']);
  });
});

describe('withoutOwnershipAnnotations', () => {
  const annotations = {
    [lastAppliedAnnotation]: '{}',
    [helmReleaseNameAnnotation]: 'gateway-crds',
    [helmReleaseNamespaceAnnotation]: 'default',
    'example.com/ticket-queue': 'ml-infra',
  };

  it('removes the kubectl and Helm ownership annotations', () => {
    assert.deepEqual(withoutOwnershipAnnotations(annotations), {
      'example.com/ticket-queue': 'ml-infra',
    });
  });

  it('leaves its input unchanged', () => {
    withoutOwnershipAnnotations(annotations);
    assert.equal(annotations[lastAppliedAnnotation], '{}');
  });
});

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import {
  guardedCrd,
  hasMismatchedOldObject,
  inferencePoolTypes,
  isProtectionDisabled,
  lookupsFor,
} from '../../src/admission/plan.ts';
import { loadBuiltInBundle, type Bundle } from '../../src/crds/bundle.ts';
import { keepOnUninstallAnnotation } from '../../src/crds/metadata.ts';
import { loadRequest, loadReview, parseReviewBody } from './fixtures.ts';

const poolsV1 = {
  kind: 'InferencePool',
  group: 'inference.networking.k8s.io',
  version: 'v1',
  plural: 'inferencepools',
};
const poolsAlpha = {
  kind: 'InferencePool',
  group: 'inference.networking.x-k8s.io',
  version: 'v1alpha2',
  plural: 'inferencepools',
};
const objectives = {
  kind: 'InferenceObjective',
  group: 'inference.networking.x-k8s.io',
  version: 'v1alpha2',
  plural: 'inferenceobjectives',
};

let bundle: Bundle;

before(async () => {
  bundle = await loadBuiltInBundle();
});

/** Returns a bundle whose v1 InferencePool CRD has the given versions. */
function bundleWithPoolVersions(versions: V1CustomResourceDefinition['spec']['versions']): Bundle {
  const crds = bundle.crds.map((crd) =>
    crd.metadata?.name === 'inferencepools.inference.networking.k8s.io'
      ? { ...crd, spec: { ...crd.spec, versions } }
      : crd,
  );
  return { ...bundle, crds };
}

describe('inferencePoolTypes', () => {
  it('lists both InferencePool groups of the bundle', () => {
    assert.deepEqual(inferencePoolTypes(bundle), [poolsV1, poolsAlpha]);
  });

  it('uses the storage version', () => {
    const changed = bundleWithPoolVersions([
      { name: 'v1beta1', served: true, storage: false },
      { name: 'v1', served: true, storage: true },
    ]);
    assert.equal(inferencePoolTypes(changed)[0]?.version, 'v1');
  });

  it('uses a served version when storage is not served', () => {
    const changed = bundleWithPoolVersions([
      { name: 'v1', served: false, storage: true },
      { name: 'v2', served: true, storage: false },
    ]);
    assert.equal(inferencePoolTypes(changed)[0]?.version, 'v2');
  });
});

describe('guardedCrd', () => {
  it('returns the CRD that a DELETE removes', () => {
    const crd = guardedCrd(loadRequest('delete-inferencepool-crd'), bundle);
    assert.equal(crd?.metadata?.name, 'inferencepools.inference.networking.k8s.io');
  });

  it('ignores a CRD outside the bundle', () => {
    assert.equal(guardedCrd(loadRequest('delete-unrelated-crd'), bundle), undefined);
  });

  it('ignores an UPDATE', () => {
    assert.equal(guardedCrd(loadRequest('update-inferencepool-crd'), bundle), undefined);
  });

  it('ignores another resource with the same name', () => {
    const review = loadReview('delete-inferencepool-crd');
    review.request.resource = { group: 'example.com', version: 'v1', resource: 'widgets' };
    assert.equal(guardedCrd(parseReviewBody(review), bundle), undefined);
  });

  it('takes the name from oldObject when the request has none', () => {
    const review = loadReview('delete-alpha-inferencepool-crd');
    delete review.request.name;
    const crd = guardedCrd(parseReviewBody(review), bundle);
    assert.equal(crd?.metadata?.name, 'inferencepools.inference.networking.x-k8s.io');
  });
});

describe('isProtectionDisabled', () => {
  it('is true for keep-on-uninstall "false"', () => {
    assert.equal(isProtectionDisabled(loadRequest('delete-crd-keep-false')), true);
  });

  it('is false for keep-on-uninstall "true"', () => {
    assert.equal(isProtectionDisabled(loadRequest('delete-inferencepool-crd')), false);
  });

  for (const value of ['False', 'FALSE', '0', 'no', '', false]) {
    it(`is false for keep-on-uninstall ${JSON.stringify(value)}`, () => {
      const review = loadReview('delete-crd-keep-false');
      review.request.oldObject.metadata.annotations[keepOnUninstallAnnotation] = value;
      assert.equal(isProtectionDisabled(parseReviewBody(review)), false);
    });
  }

  it('ignores an oldObject of another CRD', () => {
    const review = loadReview('delete-inferencepool-crd');
    review.request.oldObject = loadReview('delete-crd-keep-false').request.oldObject;
    assert.equal(isProtectionDisabled(parseReviewBody(review)), false);
  });

  it('is false without the annotation', () => {
    const review = loadReview('delete-crd-keep-false');
    delete review.request.oldObject.metadata.annotations;
    assert.equal(isProtectionDisabled(parseReviewBody(review)), false);
  });

  it('is false without oldObject', () => {
    const review = loadReview('delete-crd-keep-false');
    review.request.oldObject = null;
    assert.equal(isProtectionDisabled(parseReviewBody(review)), false);
  });

  it('is false when annotations is not an object', () => {
    const review = loadReview('delete-crd-keep-false');
    review.request.oldObject.metadata.annotations = 'false';
    assert.equal(isProtectionDisabled(parseReviewBody(review)), false);
  });
});

describe('lookupsFor', () => {
  it('counts both pool groups for the v1 pool CRD', () => {
    assert.deepEqual(lookupsFor(loadRequest('delete-inferencepool-crd'), bundle), [
      poolsV1,
      poolsAlpha,
    ]);
  });

  it('counts both pool groups for the alpha pool CRD', () => {
    assert.deepEqual(lookupsFor(loadRequest('delete-alpha-inferencepool-crd'), bundle), [
      poolsV1,
      poolsAlpha,
    ]);
  });

  it('adds the deleted CRD own objects', () => {
    const review = loadReview('delete-crd-keep-false');
    delete review.request.oldObject.metadata.annotations[keepOnUninstallAnnotation];
    assert.deepEqual(lookupsFor(parseReviewBody(review), bundle), [
      poolsV1,
      poolsAlpha,
      objectives,
    ]);
  });

  it('needs nothing when protection is disabled', () => {
    assert.deepEqual(lookupsFor(loadRequest('delete-crd-keep-false'), bundle), []);
  });

  it('needs nothing for an unrelated CRD', () => {
    assert.deepEqual(lookupsFor(loadRequest('delete-unrelated-crd'), bundle), []);
  });

  it('needs nothing for an UPDATE', () => {
    assert.deepEqual(lookupsFor(loadRequest('update-inferencepool-crd'), bundle), []);
  });

  it('falls back to the bundle without oldObject', () => {
    const review = loadReview('delete-inferencepool-crd');
    delete review.request.oldObject;
    assert.deepEqual(lookupsFor(parseReviewBody(review), bundle), [poolsV1, poolsAlpha]);
  });

  it('lists with the version the stored CRD serves', () => {
    const review = loadReview('delete-alpha-inferencepool-crd');
    review.request.oldObject.spec.versions = [
      { name: 'v1alpha1', served: true, storage: true },
      { name: 'v1alpha2', served: false, storage: false },
    ];
    const types = lookupsFor(parseReviewBody(review), bundle);
    assert.deepEqual(types, [poolsV1, { ...poolsAlpha, version: 'v1alpha1' }]);
  });

  it('skips version entries that are not objects', () => {
    const review = loadReview('delete-alpha-inferencepool-crd');
    review.request.oldObject.spec.versions = [null, 7, { served: true }, { name: 'v1alpha1', served: true, storage: true }];
    const types = lookupsFor(parseReviewBody(review), bundle);
    assert.deepEqual(types, [poolsV1, { ...poolsAlpha, version: 'v1alpha1' }]);
  });

  it('falls back to the bundle when oldObject has no served version', () => {
    const review = loadReview('delete-alpha-inferencepool-crd');
    review.request.oldObject.spec.versions = [{ name: 'v1alpha1', served: false, storage: true }];
    assert.deepEqual(lookupsFor(parseReviewBody(review), bundle), [poolsV1, poolsAlpha]);
  });
});

describe('hasMismatchedOldObject', () => {
  it('is false when oldObject names the deleted CRD', () => {
    assert.equal(hasMismatchedOldObject(loadRequest('delete-inferencepool-crd')), false);
  });

  it('is true when oldObject names another CRD', () => {
    const review = loadReview('delete-inferencepool-crd');
    review.request.oldObject = loadReview('delete-crd-keep-false').request.oldObject;
    assert.equal(hasMismatchedOldObject(parseReviewBody(review)), true);
  });

  it('is false when the request has no name', () => {
    const review = loadReview('delete-crd-keep-false');
    delete review.request.name;
    assert.equal(hasMismatchedOldObject(parseReviewBody(review)), false);
  });

  it('is true when oldObject metadata is null', () => {
    const review = loadReview('delete-alpha-inferencepool-crd');
    review.request.oldObject.metadata = null;
    assert.equal(hasMismatchedOldObject(parseReviewBody(review)), true);
  });

  it('plans the bundle lookups when oldObject metadata is null', () => {
    const review = loadReview('delete-alpha-inferencepool-crd');
    review.request.oldObject.metadata = null;
    assert.deepEqual(lookupsFor(parseReviewBody(review), bundle), [poolsV1, poolsAlpha]);
  });
});

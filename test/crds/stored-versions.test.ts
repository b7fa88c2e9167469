import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { errorCodes } from '../../src/errors.ts';
import { loadBuiltInBundle, type Bundle } from '../../src/crds/bundle.ts';
import { droppedStoredVersions, storedVersionError } from '../../src/crds/stored-versions.ts';
import { liveFixture } from '../support/live-fixtures.ts';

let bundle: Bundle;

function desired(name: string): V1CustomResourceDefinition {
  const crd = bundle.crds.find((candidate) => candidate.metadata?.name === name);
  assert.ok(crd, `bundle has no CRD ${name}`);
  return crd;
}

before(async () => {
  bundle = await loadBuiltInBundle();
});

describe('droppedStoredVersions', () => {
  it('finds a stored version the bundle no longer lists', () => {
    const live = liveFixture('stored-version-v1alpha1');
    assert.deepEqual(
      droppedStoredVersions(desired('inferencepools.inference.networking.x-k8s.io'), live),
      ['v1alpha1'],
    );
  });

  it('finds nothing when every stored version stays', () => {
    const live = liveFixture('kubectl-client-side-apply');
    assert.deepEqual(
      droppedStoredVersions(desired('inferenceobjectives.inference.networking.x-k8s.io'), live),
      [],
    );
  });

  it('finds nothing when the live CRD has no status', () => {
    const live = liveFixture('stored-version-v1alpha1');
    delete live.status;
    assert.deepEqual(
      droppedStoredVersions(desired('inferencepools.inference.networking.x-k8s.io'), live),
      [],
    );
  });
});

describe('storedVersionError', () => {
  const problems = [
    { crd: 'inferencepools.inference.networking.x-k8s.io', versions: ['v1alpha1'] },
  ];

  it('carries the stored-version code', () => {
    assert.equal(
      storedVersionError('v1.3.0', problems, true).code,
      errorCodes.storedVersionDropped,
    );
  });

  it('names the CRD, the version and both ways out', () => {
    const { message } = storedVersionError('v1.3.0', problems, true);
    assert.match(message, /inferencepools\.inference\.networking\.x-k8s\.io \(version v1alpha1\)/);
    assert.match(message, /No CRD was changed/);
    assert.match(message, /remove the versions from status\.storedVersions/);
    assert.match(message, /install a bundle that still serves them/);
  });

  it('does not claim nothing changed after a write', () => {
    assert.doesNotMatch(
      storedVersionError('v1.3.0', problems, false).message,
      /No CRD was changed/,
    );
  });
});

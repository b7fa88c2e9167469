import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { notReadyReason } from '../../src/crds/establish.ts';
import { liveFixture } from '../support/live-fixtures.ts';

function withConditions(conditions: object[]): V1CustomResourceDefinition {
  const crd = liveFixture('installed-by-product');
  return { ...crd, status: { ...crd.status, conditions } } as V1CustomResourceDefinition;
}

describe('notReadyReason', () => {
  it('accepts an Established CRD with accepted names', () => {
    assert.equal(notReadyReason(liveFixture('installed-by-product')), undefined);
  });

  it('reports a missing CRD', () => {
    assert.equal(notReadyReason(undefined), 'not found');
  });

  it('reports conditions not written yet', () => {
    assert.equal(
      notReadyReason(withConditions([])),
      'Established not reported yet, NamesAccepted not reported yet',
    );
  });

  it('reports a name conflict with its message', () => {
    const crd = withConditions([
      {
        type: 'Established',
        status: 'False',
        reason: 'NotAccepted',
        message: 'not all names are accepted',
      },
      {
        type: 'NamesAccepted',
        status: 'False',
        reason: 'MultipleNamesConflict',
        message: '"infpool" is already in use',
      },
    ]);
    assert.equal(
      notReadyReason(crd),
      'Established=False (NotAccepted: not all names are accepted), ' +
        'NamesAccepted=False (MultipleNamesConflict: "infpool" is already in use)',
    );
  });
});

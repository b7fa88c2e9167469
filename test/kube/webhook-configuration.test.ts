import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { webhooksTimingOutFirst } from '../../src/kube/webhook-configuration.ts';

function configuration(...timeouts: (number | undefined)[]) {
  return {
    metadata: { name: 'guard' },
    webhooks: timeouts.map((timeoutSeconds, index) => ({
      name: `hook-${index}.example.dev`,
      clientConfig: {},
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      timeoutSeconds,
    })),
  };
}

describe('webhooksTimingOutFirst', () => {
  it('names webhooks whose timeout is not above the lookups', () => {
    assert.deepEqual(webhooksTimingOutFirst(configuration(3, 10, 2), 3000), [
      'hook-0.example.dev',
      'hook-2.example.dev',
    ]);
  });

  it('takes an unset timeout as the API default of 10 s', () => {
    assert.deepEqual(webhooksTimingOutFirst(configuration(undefined), 10_000), [
      'hook-0.example.dev',
    ]);
  });

  it('accepts a timeout above the lookups', () => {
    assert.deepEqual(webhooksTimingOutFirst(configuration(10), 3000), []);
  });
});

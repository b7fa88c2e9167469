import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  annotateCommand,
  internalErrorMessage,
  lookupFailedMessage,
  objectsExistMessage,
} from '../../src/admission/message.ts';

const crd = 'inferencepools.inference.networking.k8s.io';
const poolsV1 = {
  kind: 'InferencePool',
  group: 'inference.networking.k8s.io',
  version: 'v1',
  plural: 'inferencepools',
};
const poolsAlpha = { ...poolsV1, group: 'inference.networking.x-k8s.io', version: 'v1alpha2' };
const examples = [
  { namespace: 'team-a', name: 'llama' },
  { namespace: 'team-a', name: 'mistral' },
  { namespace: 'team-b', name: 'qwen' },
];

describe('annotateCommand', () => {
  it('names the CRD and the annotation', () => {
    assert.equal(
      annotateCommand(crd),
      'kubectl annotate crd inferencepools.inference.networking.k8s.io ' +
        'inference-extension-crds.dev/keep-on-uninstall=false --overwrite',
    );
  });
});

describe('objectsExistMessage', () => {
  const found = [
    { type: poolsV1, count: { count: 25, exact: true, examples } },
    { type: poolsAlpha, count: { count: 4, exact: false, examples: examples.slice(0, 1) } },
  ];
  const message = objectsExistMessage(crd, 'InferencePool', found, []);
  const lines = message.split('\n');

  it('names the CRD first', () => {
    assert.equal(lines[0], `CRD ${crd} is protected while these objects exist:`);
  });

  it('gives the count and examples of each kind', () => {
    assert.equal(
      lines[1],
      '  InferencePool inference.networking.k8s.io/v1: 25 (team-a/llama, team-a/mistral, ' +
        'team-b/qwen, ...)',
    );
  });

  it('marks a lower-bound count', () => {
    assert.equal(
      lines[2],
      '  InferencePool inference.networking.x-k8s.io/v1alpha2: at least 4 (team-a/llama, ...)',
    );
  });

  it('offers deleting the objects first', () => {
    assert.equal(
      lines[3],
      'Delete them first, or allow deleting the CRD and all its InferencePool objects with:',
    );
  });

  it('ends with the exact annotate command', () => {
    assert.equal(lines[4], `  ${annotateCommand(crd)}`);
  });

  it('has no more lines', () => {
    assert.equal(lines.length, 5);
  });

  it('omits the ellipsis when every object is shown', () => {
    const singlePool = { count: 1, exact: true, examples: examples.slice(0, 1) };
    const all = [{ type: poolsV1, count: singlePool }];
    const text = objectsExistMessage(crd, 'InferencePool', all, []);
    assert.match(text, /v1: 1 \(team-a\/llama\)\n/);
  });

  it('shows a cluster-scoped object by name alone', () => {
    const ref = [{ namespace: '', name: 'global' }];
    const all = [{ type: poolsV1, count: { count: 1, exact: true, examples: ref } }];
    assert.match(objectsExistMessage(crd, 'InferencePool', all, []), /v1: 1 \(global\)\n/);
  });

  it('lists counts that failed', () => {
    const error = 'timed out after 3000 ms waiting for the API server';
    const failures = [{ type: poolsAlpha, error }];
    const text = objectsExistMessage(crd, 'InferencePool', found.slice(0, 1), failures);
    const failed = text.split('\n');
    assert.equal(failed[2], 'These could not be counted:');
    assert.equal(
      failed[3],
      '  InferencePool inference.networking.x-k8s.io/v1alpha2: ' +
        'timed out after 3000 ms waiting for the API server',
    );
  });
});

describe('lookupFailedMessage', () => {
  const message = lookupFailedMessage(crd, [{ type: poolsV1, error: 'HTTP 500' }]);
  const lines = message.split('\n');

  it('says the deletion was denied to be safe', () => {
    assert.equal(
      lines[0],
      `could not check whether deleting CRD ${crd} would lose objects, ` +
        'so the deletion was denied to be safe:',
    );
  });

  it('says what failed', () => {
    assert.equal(lines[1], '  InferencePool inference.networking.k8s.io/v1: HTTP 500');
  });

  it('asks to retry', () => {
    assert.match(lines[2] ?? '', /^Retry the deletion\./);
  });
});

describe('internalErrorMessage', () => {
  it('carries the error and asks to retry', () => {
    const message = internalErrorMessage('boom');
    assert.match(message, /^the deletion guard failed \(boom\)/);
    assert.match(message, /Retry it/);
  });
});

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { helmBinary, manifestsNamespace, manifestsPath, renderManifests } from '../../scripts/render-manifests.ts';
import { parseObjects } from './helm.ts';

let committed: string;
let rendered: string;

before(async () => {
  committed = await readFile(manifestsPath, 'utf8');
  rendered = await renderManifests(await helmBinary());
});

describe('plain manifests', () => {
  it('match a fresh rendering of the chart', () => {
    assert.ok(committed === rendered, `${manifestsPath} is out of date; run npm run manifests`);
  });

  it('create their namespace first', () => {
    const objects = parseObjects(committed);
    assert.equal(objects[0]?.kind, 'Namespace');
    assert.equal(objects[0]?.metadata.name, manifestsNamespace);
  });

  it('place namespaced objects in that namespace', () => {
    const clusterScoped = [
      'Namespace',
      'ClusterRole',
      'ClusterRoleBinding',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
      'ValidatingWebhookConfiguration',
    ];
    for (const object of parseObjects(committed).filter((candidate) => !clusterScoped.includes(candidate.kind))) {
      assert.equal(object.metadata.namespace, manifestsNamespace, `${object.kind} ${object.metadata.name}`);
    }
  });

  it('contain no Helm hook', () => {
    const hooks = parseObjects(committed).filter((object) => object.metadata.annotations?.['helm.sh/hook'] !== undefined);
    assert.deepEqual(hooks, []);
  });
});

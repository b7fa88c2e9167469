import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import { crdNames, loadBuiltInBundle } from '../../src/crds/bundle.ts';
import { chartPath } from './helm.ts';

// The chart builds its RBAC rules and the webhook's matchConditions from
// files/crd-names.yaml. A CRD missing there would be unguarded, and the pods
// could not read or update it.
async function chartCrdNames(): Promise<unknown> {
  return yaml.load(await readFile(join(chartPath, 'files/crd-names.yaml'), 'utf8'));
}

describe('chart CRD names', () => {
  it('match the built-in bundle', async () => {
    const bundleNames = crdNames(await loadBuiltInBundle());
    const listed = await chartCrdNames();
    assert.ok(Array.isArray(listed), 'files/crd-names.yaml is not a YAML list');
    assert.deepEqual([...listed].sort(), [...bundleNames].sort());
  });

  it('have no duplicates', async () => {
    const listed = (await chartCrdNames()) as string[];
    assert.equal(new Set(listed).size, listed.length);
  });

  it('split into plural and group of each CRD', async () => {
    // The templates take the text before the first dot as the plural.
    for (const crd of (await loadBuiltInBundle()).crds) {
      const name = crd.metadata?.name as string;
      assert.equal(name.slice(0, name.indexOf('.')), crd.spec.names.plural, name);
      assert.equal(name.slice(name.indexOf('.') + 1), crd.spec.group, name);
    }
  });
});

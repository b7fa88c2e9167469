import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareBundleVersions } from '../../src/crds/version.ts';

describe('compareBundleVersions', () => {
  const ordered = ['v1.2.0', 'v1.3.0-rc.1', 'v1.3.0-rc.2', 'v1.3.0', 'v1.3.1', 'v1.10.0', 'v2.0.0'];

  it('orders releases and pre-releases', () => {
    for (let i = 0; i < ordered.length - 1; i++) {
      const older = ordered[i] as string;
      const newer = ordered[i + 1] as string;
      assert.equal(compareBundleVersions(older, newer), -1, `${older} < ${newer}`);
      assert.equal(compareBundleVersions(newer, older), 1, `${newer} > ${older}`);
    }
  });

  it('treats equal versions as equal with or without the v', () => {
    assert.equal(compareBundleVersions('v1.3.0', '1.3.0'), 0);
  });

  it('compares numeric pre-release parts as numbers', () => {
    assert.equal(compareBundleVersions('v1.3.0-rc.10', 'v1.3.0-rc.9'), 1);
  });

  it('returns undefined for a value that is not a version', () => {
    assert.equal(compareBundleVersions('latest', 'v1.3.0'), undefined);
    assert.equal(compareBundleVersions('v1.3', 'v1.3.0'), undefined);
  });
});

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { V1CustomResourceDefinitionSpec } from '@kubernetes/client-node';
import { specsMatch, withServerDefaults } from '../../src/crds/compare.ts';
import { loadBuiltInBundle } from '../../src/crds/bundle.ts';
import { liveFixture } from '../support/live-fixtures.ts';

let bundleSpec: V1CustomResourceDefinitionSpec;

before(async () => {
  const bundle = await loadBuiltInBundle();
  const crd = bundle.crds.find(
    (candidate) => candidate.metadata?.name === 'inferenceobjectives.inference.networking.x-k8s.io',
  );
  assert.ok(crd);
  bundleSpec = crd.spec;
});

describe('specsMatch', () => {
  it('matches the spec the server stored for it', () => {
    assert.equal(specsMatch(bundleSpec, liveFixture('installed-by-product').spec), true);
  });

  it('ignores listKind and singular that the server filled in', () => {
    const desired = structuredClone(bundleSpec);
    delete desired.names.listKind;
    delete desired.names.singular;
    assert.equal(specsMatch(desired, liveFixture('installed-by-product').spec), true);
  });

  it('detects a property removed from the schema', () => {
    const live = liveFixture('installed-by-product').spec;
    const schema = live.versions[0]?.schema?.openAPIV3Schema as {
      properties: Record<string, unknown>;
    };
    delete schema.properties.spec;
    assert.equal(specsMatch(bundleSpec, live), false);
  });

  it('detects a version no longer served', () => {
    const live = liveFixture('installed-by-product').spec;
    (live.versions[0] as { served: boolean }).served = false;
    assert.equal(specsMatch(bundleSpec, live), false);
  });

  it('detects an explicit conversion strategy other than None', () => {
    const live = liveFixture('installed-by-product').spec;
    live.conversion = { strategy: 'Webhook' };
    assert.equal(specsMatch(bundleSpec, live), false);
  });

  it('never matches a missing live spec', () => {
    assert.equal(specsMatch(bundleSpec, undefined), false);
  });
});

describe('withServerDefaults', () => {
  it('defaults the conversion strategy to None', () => {
    assert.deepEqual(withServerDefaults(bundleSpec).conversion, { strategy: 'None' });
  });

  it('defaults a conversion webhook service port to 443', () => {
    const spec = structuredClone(bundleSpec);
    spec.conversion = {
      strategy: 'Webhook',
      webhook: {
        clientConfig: { service: { name: 'converter', namespace: 'default' } },
        conversionReviewVersions: ['v1'],
      },
    };
    const conversion = withServerDefaults(spec).conversion as {
      webhook: { clientConfig: { service: { port: number } } };
    };
    assert.equal(conversion.webhook.clientConfig.service.port, 443);
  });

  it('leaves its input unchanged', () => {
    const before = structuredClone(bundleSpec);
    withServerDefaults(bundleSpec);
    assert.deepEqual(bundleSpec, before);
  });
});

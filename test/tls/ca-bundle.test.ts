import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import {
  caBundleTrusts,
  encodeCaBundle,
  mergeCaBundle,
  webhooksMissingCas,
  webhooksNotTrusting,
  withCaBundle,
  withMergedCaBundles,
} from '../../src/tls/ca-bundle.ts';
import { generateCertificateAuthority, issueCertificate, type KeyPair } from '../../src/tls/certificates.ts';

const dayMs = 24 * 60 * 60 * 1000;
let ca: KeyPair;
let otherCa: KeyPair;
let serving: KeyPair;
let expiredCa: KeyPair;
const now = new Date();

function decoded(caBundle: string | undefined): string {
  return Buffer.from(caBundle ?? '', 'base64').toString('utf8');
}

before(async () => {
  expiredCa = await generateCertificateAuthority({
    commonName: 'bundle-expired-ca',
    validityMs: dayMs,
    now: new Date(now.getTime() - 2 * dayMs),
  });
  ca = await generateCertificateAuthority({ commonName: 'bundle-test-ca', validityMs: 30 * dayMs });
  otherCa = await generateCertificateAuthority({ commonName: 'bundle-other-ca', validityMs: 30 * dayMs });
  serving = await issueCertificate({ ca, commonName: 'localhost', hosts: ['localhost'], usage: 'server', validityMs: 30 * dayMs });
});

function configuration(...caBundles: (string | undefined)[]): V1ValidatingWebhookConfiguration {
  return {
    metadata: { name: 'guard' },
    webhooks: caBundles.map((caBundle, index) => ({
      name: `hook-${index}.example.dev`,
      clientConfig: { service: { name: 'guard', namespace: 'default' }, caBundle },
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
    })),
  };
}

describe('caBundleTrusts', () => {
  it('trusts the signing CA', () => {
    assert.equal(caBundleTrusts(encodeCaBundle(ca.cert), serving.cert), true);
  });

  it('trusts a bundle that includes the signing CA', () => {
    assert.equal(caBundleTrusts(encodeCaBundle(`${otherCa.cert}${ca.cert}`), serving.cert), true);
  });

  it('does not trust another CA', () => {
    assert.equal(caBundleTrusts(encodeCaBundle(otherCa.cert), serving.cert), false);
  });

  it('does not trust an unset caBundle', () => {
    assert.equal(caBundleTrusts(undefined, serving.cert), false);
  });

  it('does not trust base64 garbage', () => {
    assert.equal(caBundleTrusts('bm90IGEgY2VydGlmaWNhdGU=', serving.cert), false);
  });
});

describe('webhooksNotTrusting', () => {
  it('names each webhook with a wrong caBundle', () => {
    const config = configuration(encodeCaBundle(ca.cert), encodeCaBundle(otherCa.cert), undefined);
    assert.deepEqual(webhooksNotTrusting(config, serving.cert), ['hook-1.example.dev', 'hook-2.example.dev']);
  });
});

describe('withCaBundle', () => {
  it('sets the CA on every webhook', () => {
    const updated = withCaBundle(configuration(undefined, encodeCaBundle(otherCa.cert)), ca.cert);
    const bundles = (updated.webhooks ?? []).map((webhook) => webhook.clientConfig.caBundle);
    assert.deepEqual(bundles, [encodeCaBundle(ca.cert), encodeCaBundle(ca.cert)]);
  });

  it('sets the CA only on selected webhooks', () => {
    const original = configuration(undefined, encodeCaBundle(otherCa.cert));
    const updated = withCaBundle(original, ca.cert, (webhook) => webhook.name === 'hook-0.example.dev');
    const bundles = (updated.webhooks ?? []).map((webhook) => webhook.clientConfig.caBundle);
    assert.deepEqual(bundles, [encodeCaBundle(ca.cert), encodeCaBundle(otherCa.cert)]);
  });

  it('leaves the input unchanged', () => {
    const original = configuration(undefined);
    withCaBundle(original, ca.cert);
    assert.equal(original.webhooks?.[0]?.clientConfig.caBundle, undefined);
  });
});

describe('mergeCaBundle', () => {
  it('creates a bundle from nothing', () => {
    assert.equal(mergeCaBundle(undefined, [ca.cert], now), encodeCaBundle(ca.cert));
  });

  it('appends a missing CA after the existing ones', () => {
    const merged = mergeCaBundle(encodeCaBundle(otherCa.cert), [ca.cert], now);
    assert.equal(decoded(merged), `${otherCa.cert}\n${ca.cert}`);
  });

  it('returns undefined when every CA is present', () => {
    const bundle = encodeCaBundle(`${otherCa.cert}\n${ca.cert}\n`);
    assert.equal(mergeCaBundle(bundle, [ca.cert], now), undefined);
  });

  it('returns undefined with nothing wanted and nothing stored', () => {
    assert.equal(mergeCaBundle(undefined, [], now), undefined);
  });

  it('drops an expired CA', () => {
    const merged = mergeCaBundle(encodeCaBundle(`${expiredCa.cert}\n${ca.cert}`), [ca.cert], now);
    assert.equal(decoded(merged), ca.cert);
  });

  it('never adds an expired CA', () => {
    assert.equal(mergeCaBundle(encodeCaBundle(ca.cert), [expiredCa.cert], now), undefined);
  });

  it('removes a duplicate', () => {
    const merged = mergeCaBundle(encodeCaBundle(`${ca.cert}\n${ca.cert}`), [ca.cert], now);
    assert.equal(decoded(merged), ca.cert);
  });

  it('replaces a bundle without certificates', () => {
    assert.equal(mergeCaBundle('bm90IGEgY2VydGlmaWNhdGU=', [ca.cert], now), encodeCaBundle(ca.cert));
  });

  it('accepts several CAs in one wanted text', () => {
    const merged = mergeCaBundle(undefined, [`${ca.cert}\n${otherCa.cert}`], now);
    assert.equal(decoded(merged), `${ca.cert}\n${otherCa.cert}`);
  });

  it('is stable when applied twice', () => {
    const once = mergeCaBundle(encodeCaBundle(otherCa.cert), [ca.cert], now);
    assert.equal(mergeCaBundle(once, [ca.cert], now), undefined);
  });
});

describe('withMergedCaBundles', () => {
  it('names only the webhooks that change', () => {
    const config = configuration(encodeCaBundle(ca.cert), encodeCaBundle(otherCa.cert));
    const merged = withMergedCaBundles(config, [ca.cert], now);
    assert.deepEqual(merged?.changed, ['hook-1.example.dev']);
  });

  it('merges into each webhook', () => {
    const config = configuration(undefined, encodeCaBundle(otherCa.cert));
    const merged = withMergedCaBundles(config, [ca.cert], now);
    const bundles = (merged?.configuration.webhooks ?? []).map((webhook) => decoded(webhook.clientConfig.caBundle));
    assert.deepEqual(bundles, [ca.cert, `${otherCa.cert}\n${ca.cert}`]);
  });

  it('returns undefined when nothing changes', () => {
    const config = configuration(encodeCaBundle(ca.cert));
    assert.equal(withMergedCaBundles(config, [ca.cert], now), undefined);
  });
});

describe('webhooksMissingCas', () => {
  it('names webhooks that lack a wanted CA', () => {
    const config = configuration(encodeCaBundle(`${ca.cert}${otherCa.cert}`), encodeCaBundle(ca.cert));
    assert.deepEqual(webhooksMissingCas(config, [`${ca.cert}\n${otherCa.cert}`], now), ['hook-1.example.dev']);
  });

  it('ignores an expired wanted CA', () => {
    const config = configuration(encodeCaBundle(ca.cert));
    assert.deepEqual(webhooksMissingCas(config, [ca.cert, expiredCa.cert], now), []);
  });
});

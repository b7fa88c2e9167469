import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { caBundleTrusts, encodeCaBundle, webhooksNotTrusting, withCaBundle } from '../../src/tls/ca-bundle.ts';
import { generateCertificateAuthority, issueCertificate, type KeyPair } from '../../src/tls/certificates.ts';

const dayMs = 24 * 60 * 60 * 1000;
let ca: KeyPair;
let otherCa: KeyPair;
let serving: KeyPair;

before(async () => {
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

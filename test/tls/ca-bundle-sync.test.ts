import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { AdmissionregistrationV1Api, type V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { isNotFound } from '../../src/kube/status.ts';
import { guardWebhookName } from '../../src/kube/webhook-configuration.ts';
import { createLogger } from '../../src/logger.ts';
import { createReadinessState } from '../../src/server/readiness.ts';
import { encodeCaBundle } from '../../src/tls/ca-bundle.ts';
import { startCaBundleSync, syncCaBundle, type CaBundleSyncOptions } from '../../src/tls/ca-bundle-sync.ts';
import { generateCertificateAuthority, issueCertificate, type KeyPair } from '../../src/tls/certificates.ts';
import type { ServingCertificate } from '../../src/tls/serving-certificate.ts';
import { captureLogs } from '../server/log-capture.ts';
import { useCluster } from '../support/cluster.ts';

const logger = createLogger('silent');
const dayMs = 24 * 60 * 60 * 1000;
const prefix = 'ca-bundle-sync-test';
const crdNames = ['widgets.ca-bundle-sync.test.example'];
// Nothing listens on port 1, and the rules match only a CRD that never exists.
const deadUrl = 'https://127.0.0.1:1/validate';

let admission: AdmissionregistrationV1Api;
let ca: KeyPair;
let otherCa: KeyPair;
let serving: ServingCertificate;
const created = new Set<string>();

async function deleteConfiguration(name: string): Promise<void> {
  try {
    await admission.deleteValidatingWebhookConfiguration({ name });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

function options(name: string, overrides: Partial<CaBundleSyncOptions> = {}): CaBundleSyncOptions {
  created.add(name);
  return {
    admission,
    configurationName: name,
    crdNames,
    serving,
    requestTimeoutMs: 5000,
    readiness: createReadinessState(logger),
    logger,
    ...overrides,
  };
}

// A configuration as a Helm chart would ship it: service references, no caBundle yet.
function chartConfiguration(name: string, caBundle?: string): V1ValidatingWebhookConfiguration {
  const webhook = (hook: string) => ({
    name: `${hook}.ca-bundle-sync.test.example`,
    clientConfig: { service: { name: 'guard', namespace: 'default', path: '/validate' }, caBundle },
    rules: [{ operations: ['DELETE'], apiGroups: ['ca-bundle-sync.test.example'], apiVersions: ['v1'], resources: ['widgets'] }],
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    failurePolicy: 'Ignore',
  });
  created.add(name);
  return { metadata: { name }, webhooks: [webhook('first'), webhook('second')] };
}

before(async () => {
  const cluster = await useCluster();
  admission = cluster.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  ca = await generateCertificateAuthority({ commonName: 'sync-test-ca', validityMs: 30 * dayMs });
  otherCa = await generateCertificateAuthority({ commonName: 'sync-other-ca', validityMs: 30 * dayMs });
  const pair = await issueCertificate({ ca, commonName: 'localhost', hosts: ['127.0.0.1'], usage: 'server', validityMs: 30 * dayMs });
  serving = { ...pair, caCert: ca.cert };
});

after(async () => {
  for (const name of created) await deleteConfiguration(name);
});

describe('syncCaBundle with --webhook-url', () => {
  it('creates the guard configuration', async () => {
    const name = `${prefix}-create`;
    const result = await syncCaBundle(options(name, { webhookUrl: deadUrl }));
    assert.deepEqual(result, { ready: true });

    const stored = await admission.readValidatingWebhookConfiguration({ name });
    assert.equal(stored.webhooks?.length, 1);
    const webhook = stored.webhooks![0]!;
    assert.equal(webhook.name, guardWebhookName);
    assert.equal(webhook.clientConfig.url, deadUrl);
    assert.equal(webhook.clientConfig.caBundle, encodeCaBundle(ca.cert));
    assert.deepEqual(webhook.rules?.[0]?.operations, ['DELETE']);
    assert.deepEqual(webhook.rules?.[0]?.resources, ['customresourcedefinitions']);
    assert.equal(webhook.matchConditions?.[0]?.expression, 'request.name in ["widgets.ca-bundle-sync.test.example"]');
    assert.equal(webhook.failurePolicy, 'Fail');
    assert.equal(webhook.sideEffects, 'None');
    assert.equal(webhook.timeoutSeconds, 10);
  });

  it('leaves an unchanged configuration alone', async () => {
    const name = `${prefix}-unchanged`;
    await syncCaBundle(options(name, { webhookUrl: deadUrl }));
    const first = await admission.readValidatingWebhookConfiguration({ name });
    await syncCaBundle(options(name, { webhookUrl: deadUrl }));
    const second = await admission.readValidatingWebhookConfiguration({ name });
    assert.equal(second.metadata?.resourceVersion, first.metadata?.resourceVersion);
  });

  it('rewrites a configuration with another URL', async () => {
    const name = `${prefix}-moved`;
    await syncCaBundle(options(name, { webhookUrl: deadUrl }));
    const movedUrl = 'https://127.0.0.1:2/validate';
    await syncCaBundle(options(name, { webhookUrl: movedUrl }));
    const stored = await admission.readValidatingWebhookConfiguration({ name });
    assert.equal(stored.webhooks?.[0]?.clientConfig.url, movedUrl);
  });
});

describe('syncCaBundle without --webhook-url', () => {
  it('reports a missing configuration', async () => {
    const result = await syncCaBundle(options(`${prefix}-missing`));
    assert.equal(result.ready, false);
    assert.match(result.ready ? '' : result.reason, /ValidatingWebhookConfiguration ca-bundle-sync-test-missing not found/);
  });

  it('sets the caBundle of every webhook', async () => {
    const name = `${prefix}-chart`;
    await admission.createValidatingWebhookConfiguration({ body: chartConfiguration(name) });
    const result = await syncCaBundle(options(name));
    assert.deepEqual(result, { ready: true });
    const stored = await admission.readValidatingWebhookConfiguration({ name });
    const bundles = (stored.webhooks ?? []).map((webhook) => webhook.clientConfig.caBundle);
    assert.deepEqual(bundles, [encodeCaBundle(ca.cert), encodeCaBundle(ca.cert)]);
    assert.equal(stored.webhooks?.[0]?.clientConfig.service?.name, 'guard');
  });

  it('adds its CA beside a caBundle of another CA', async () => {
    const name = `${prefix}-stale`;
    await admission.createValidatingWebhookConfiguration({ body: chartConfiguration(name, encodeCaBundle(otherCa.cert)) });
    assert.deepEqual(await syncCaBundle(options(name)), { ready: true });
    const stored = await admission.readValidatingWebhookConfiguration({ name });
    assert.equal(stored.webhooks?.[1]?.clientConfig.caBundle, encodeCaBundle(`${otherCa.cert}\n${ca.cert}`));
  });

  it('reports a wrong caBundle it cannot fix', async () => {
    const name = `${prefix}-no-ca`;
    await admission.createValidatingWebhookConfiguration({ body: chartConfiguration(name, encodeCaBundle(otherCa.cert)) });
    const withoutCa = { cert: serving.cert, key: serving.key };
    const result = await syncCaBundle(options(name, { serving: withoutCa }));
    assert.equal(result.ready, false);
    assert.match(result.ready ? '' : result.reason, /first\.ca-bundle-sync\.test\.example, second\..* does not trust/);
    const stored = await admission.readValidatingWebhookConfiguration({ name });
    assert.equal(stored.webhooks?.[0]?.clientConfig.caBundle, encodeCaBundle(otherCa.cert));
  });
});

describe('syncCaBundle from several replicas', () => {
  it('merges CAs written at the same moment', async () => {
    const name = `${prefix}-concurrent`;
    await admission.createValidatingWebhookConfiguration({ body: chartConfiguration(name) });
    const replica = async (index: number) => {
      const validityMs = 30 * dayMs;
      const authority = await generateCertificateAuthority({ commonName: `replica-${index}`, validityMs });
      const pair = await issueCertificate({ ca: authority, commonName: 'localhost', usage: 'server', validityMs });
      return { ...pair, caCert: authority.cert };
    };
    const servings = await Promise.all([0, 1, 2].map(replica));
    const sync = (serving: ServingCertificate) => syncCaBundle(options(name, { serving }));
    const results = await Promise.all(servings.map(sync));
    assert.deepEqual(results, [{ ready: true }, { ready: true }, { ready: true }]);
    const stored = await admission.readValidatingWebhookConfiguration({ name });
    for (const webhook of stored.webhooks ?? []) {
      const bundle = Buffer.from(webhook.clientConfig.caBundle ?? '', 'base64').toString('utf8');
      assert.equal(bundle.match(/BEGIN CERTIFICATE/g)?.length, 3, webhook.name);
    }
  });

  it('keeps a CA that another replica still serves', async () => {
    const name = `${prefix}-keeps-other`;
    await admission.createValidatingWebhookConfiguration({ body: chartConfiguration(name, encodeCaBundle(otherCa.cert)) });
    await syncCaBundle(options(name));
    const stored = await admission.readValidatingWebhookConfiguration({ name });
    const bundle = Buffer.from(stored.webhooks?.[0]?.clientConfig.caBundle ?? '', 'base64').toString('utf8');
    assert.ok(bundle.includes(otherCa.cert.trim()));
  });
});

describe('startCaBundleSync', () => {
  it('warns when a webhook times out before the lookups', async () => {
    const name = `${prefix}-timeout`;
    const logs = captureLogs();
    await admission.createValidatingWebhookConfiguration({ body: chartConfiguration(name) });
    const sync = startCaBundleSync(options(name, { logger: logs.logger, lookupTimeoutMs: 10_000 }));
    try {
      await sync.update(serving);
    } finally {
      await sync.stop();
    }
    const message = 'webhook timeout is not above the lookup timeout';
    const warnings = logs.lines.filter((line) => line.msg === message);
    const webhooks = ['first.ca-bundle-sync.test.example', 'second.ca-bundle-sync.test.example'];
    assert.equal(warnings.length, 1);
    assert.deepEqual(warnings[0]?.webhooks, webhooks);
  });

  it('reports from update whether the CAs are published', async () => {
    const name = `${prefix}-update`;
    await admission.createValidatingWebhookConfiguration({ body: chartConfiguration(name) });
    const sync = startCaBundleSync(options(name));
    try {
      assert.equal(await sync.update(serving), true);
    } finally {
      await sync.stop();
    }
  });

  it('turns ready once the configuration appears', async () => {
    const name = `${prefix}-loop`;
    const syncOptions = options(name);
    const sync = startCaBundleSync(syncOptions);
    try {
      await sleep(500);
      assert.equal(syncOptions.readiness.isReady('caBundle'), false);
      await admission.createValidatingWebhookConfiguration({ body: chartConfiguration(name) });
      const deadline = Date.now() + 30_000;
      while (!syncOptions.readiness.isReady('caBundle') && Date.now() < deadline) await sleep(200);
      assert.equal(syncOptions.readiness.isReady('caBundle'), true);
    } finally {
      await sync.stop();
    }
  });
});

// Guarding the guard, against the real API server (v1.36): kube-apiserver
// never sends requests on ValidatingWebhookConfigurations to webhooks, so
// deleting ours would silently end the protection. A ValidatingAdmissionPolicy
// does see those requests. This file applies the policy the chart would
// render (webhook-guard-policy.yaml) and shows what it denies and allows.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { AdmissionregistrationV1Api } from '@kubernetes/client-node';
import { isNotFound } from '../../src/kube/status.ts';
import { buildGuardWebhookConfiguration } from '../../src/kube/webhook-configuration.ts';
import { allowConfigurationDeletion } from '../../src/kube/webhook-guard-policy.ts';
import { waitFor } from '../server/tls-probe.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import { kubectl } from '../support/kubectl.ts';

const guarded = 'e2e-guard-policy';
const bystander = 'e2e-guard-policy-bystander';
const policyName = `${guarded}-webhook-guard`;
const selfGuardName = 'e2e-guard-policy-self-guard';
const probe = 'e2e-guard-policy-probe';
const adminGroup = 'admissionregistration.k8s.io';
// Nothing listens on port 1, and the webhook matches only a CRD that never exists.
const deadUrl = 'https://127.0.0.1:1/validate';
const neverCrd = 'nothings.e2e-guard-policy.test.example';
const optOutCommand = [
  'kubectl annotate validatingwebhookconfiguration e2e-guard-policy',
  'inference-extension-crds.dev/allow-delete=true',
].join(' ');

let cluster: TestCluster;
let admission: AdmissionregistrationV1Api;

async function policyManifest(): Promise<string> {
  const text = await readFile(new URL('./webhook-guard-policy.yaml', import.meta.url), 'utf8');
  return text.replaceAll('CONFIGURATION_NAME', guarded);
}

async function createConfiguration(name: string): Promise<void> {
  const body = buildGuardWebhookConfiguration({ name, url: deadUrl, crdNames: [neverCrd] });
  await admission.createValidatingWebhookConfiguration({ body });
}

async function deleteQuietly(kind: string, name: string): Promise<void> {
  const result = await kubectl(cluster, ['delete', kind, name, '--ignore-not-found']);
  assert.equal(result.code, 0, result.stderr);
}

async function exists(name: string): Promise<boolean> {
  try {
    await admission.readValidatingWebhookConfiguration({ name });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

function remove(name: string, ...extra: string[]) {
  return kubectl(cluster, ['delete', 'validatingwebhookconfiguration', name, ...extra]);
}

// A policy that denies deleting any policy binding, and the probe
// configuration, which shows when the API server has loaded it. The API
// server exempts policy resources from API-defined policies, so it can guard
// only the probe.
function selfGuardManifest(): string {
  const rule = { apiGroups: [adminGroup], apiVersions: ['v1'], operations: ['DELETE'] };
  const policy = {
    apiVersion: `${adminGroup}/v1`,
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: selfGuardName },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          { ...rule, resources: ['validatingadmissionpolicybindings'] },
          { ...rule, resources: ['validatingwebhookconfigurations'], resourceNames: [probe] },
        ],
      },
      validations: [{ expression: 'false', message: 'guarded by the self-guard policy' }],
    },
  };
  const binding = {
    apiVersion: `${adminGroup}/v1`,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: selfGuardName },
    spec: { policyName: selfGuardName, validationActions: ['Deny'] },
  };
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [policy, binding] });
}

before(async () => {
  cluster = await useCluster();
  admission = cluster.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  await deleteQuietly('validatingadmissionpolicybinding', policyName);
  await deleteQuietly('validatingadmissionpolicy', policyName);
  await deleteQuietly('validatingwebhookconfiguration', guarded);
  await deleteQuietly('validatingwebhookconfiguration', bystander);
  await deleteQuietly('validatingwebhookconfiguration', probe);
  await createConfiguration(guarded);
  await createConfiguration(bystander);
  await createConfiguration(probe);
  const applied = await kubectl(cluster, ['apply', '-f', '-'], await policyManifest());
  assert.equal(applied.code, 0, applied.stderr);
  // The API server loads new policies in the background; a dry run shows when this one acts.
  await waitFor(
    'the policy denies a dry-run delete',
    async () => (await remove(guarded, '--dry-run=server')).code !== 0,
    60_000,
  );
});

after(async () => {
  for (const name of [selfGuardName, policyName]) {
    await deleteQuietly('validatingadmissionpolicybinding', name);
    await deleteQuietly('validatingadmissionpolicy', name);
  }
  // The API server drops deleted policies in the background, so each delete
  // is retried until it passes.
  for (const name of [guarded, bystander, probe]) {
    await waitFor(
      `${name} is deleted`,
      async () => (await remove(name, '--ignore-not-found')).code === 0,
      60_000,
    );
  }
});

describe('webhook guard policy', () => {
  it('denies deleting the configuration', async () => {
    const result = await remove(guarded);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /ValidatingAdmissionPolicy 'e2e-guard-policy-webhook-guard'/);
    assert.ok(result.stderr.includes(optOutCommand), result.stderr);
    assert.equal(await exists(guarded), true);
  });

  it('denies an update that removes the guard webhook', async () => {
    const patch = JSON.stringify([
      { op: 'replace', path: '/webhooks/0/name', value: 'renamed.e2e-guard-policy.test.example' },
    ]);
    const result = await kubectl(cluster, [
      'patch',
      'validatingwebhookconfiguration',
      guarded,
      '--type=json',
      '-p',
      patch,
    ]);
    assert.notEqual(result.code, 0);
    assert.ok(result.stderr.includes(optOutCommand), result.stderr);
  });

  it('allows an update that keeps the guard webhook', async () => {
    const patch = JSON.stringify([{ op: 'replace', path: '/webhooks/0/timeoutSeconds', value: 9 }]);
    const result = await kubectl(cluster, [
      'patch',
      'validatingwebhookconfiguration',
      guarded,
      '--type=json',
      '-p',
      patch,
    ]);
    assert.equal(result.code, 0, result.stderr);
  });

  it('denies deleting with allow-delete "false"', async () => {
    const annotated = await kubectl(cluster, [
      'annotate',
      'validatingwebhookconfiguration',
      guarded,
      'inference-extension-crds.dev/allow-delete=false',
    ]);
    assert.equal(annotated.code, 0, annotated.stderr);
    const result = await remove(guarded);
    assert.notEqual(result.code, 0);
  });

  it('leaves other configurations alone', async () => {
    const result = await remove(bystander);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await exists(bystander), false);
  });

  it('cannot guard its own binding', async () => {
    const selfGuard = selfGuardManifest();
    const applied = await kubectl(cluster, ['apply', '-f', '-'], selfGuard);
    assert.equal(applied.code, 0, applied.stderr);

    await waitFor(
      'the self-guard policy denies the probe',
      async () => (await remove(probe, '--dry-run=server')).code !== 0,
      60_000,
    );

    const dryRun = await kubectl(cluster, [
      'delete',
      'validatingadmissionpolicybinding',
      policyName,
      '--dry-run=server',
    ]);
    assert.equal(dryRun.code, 0, dryRun.stderr);
  });

  it('allows deleting once allow-delete is "true"', async () => {
    assert.equal(await allowConfigurationDeletion(admission, guarded, 10_000), true);
    const result = await remove(guarded);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await exists(guarded), false);
  });

  it('reports a missing configuration when opting out', async () => {
    assert.equal(await allowConfigurationDeletion(admission, guarded, 10_000), false);
  });
});

// The real API server accepts what the chart renders, and `helm install
// --no-hooks` installs it. No pod ever runs on the test control plane.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { manifestsNamespace, manifestsPath } from '../../scripts/render-manifests.ts';
import { allowDeleteAnnotation } from '../../src/kube/webhook-guard-policy.ts';
import { generateCertificateAuthority } from '../../src/tls/certificates.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import { ensureNamespace } from '../support/crds.ts';
import { kubectl } from '../support/kubectl.ts';
import { chartPath, helm, parseObjects } from './helm.ts';
import { isAllowed, type ResourceAttributes } from './product.ts';

const namespace = 'deploy-chart-check';
const release = 'chart-check';
const fullname = `${release}-inference-extension-crds`;

let cluster: TestCluster;
let caFile: string;

async function dryRunApply(manifests: string): Promise<{ code: number; created: number; output: string }> {
  const result = await kubectl(cluster, ['apply', '--dry-run=server', '-f', '-'], manifests);
  const created = result.stdout.split('\n').filter((line) => line.includes('(server dry run)')).length;
  return { code: result.code, created, output: result.stdout + result.stderr };
}

// Sets the annotation that the chart's webhook guard policy requires before
// the configuration may be deleted, as the uninstall hook would.
async function allowConfigurationDeletion(): Promise<void> {
  const annotation = `${allowDeleteAnnotation}=true`;
  await kubectl(cluster, ['annotate', 'validatingwebhookconfiguration', fullname, annotation, '--overwrite']);
}

async function removeRelease(): Promise<void> {
  // No pod runs here, so the pre-delete hook Job would never finish.
  await allowConfigurationDeletion();
  const uninstall = ['uninstall', release, '--namespace', namespace, '--no-hooks'];
  await helm(cluster.binDir, [...uninstall, '--kubeconfig', cluster.kubeconfigPath]);
  // A webhook configuration left behind would block deleting the bundle CRDs in later test files.
  await kubectl(cluster, ['delete', 'validatingwebhookconfiguration', fullname, '--ignore-not-found']);
}

before(async () => {
  cluster = await useCluster();
  await ensureNamespace(cluster, namespace);
  await ensureNamespace(cluster, manifestsNamespace);
  await removeRelease();
  const ca = await generateCertificateAuthority({ commonName: 'chart-check-ca', validityMs: 24 * 3600 * 1000 });
  caFile = join(await mkdtemp(join(tmpdir(), 'chart-check-')), 'ca.crt');
  await writeFile(caFile, ca.cert);
});

after(removeRelease);

const variants: { name: string; args: () => string[] }[] = [
  { name: 'defaults', args: () => [] },
  { name: 'one replica', args: () => ['--set', 'replicas=1'] },
  { name: 'keepOnUninstall false', args: () => ['--set', 'keepOnUninstall=false'] },
  { name: 'failurePolicy Ignore', args: () => ['--set', 'webhook.failurePolicy=Ignore'] },
  { name: 'guardWebhookConfiguration false', args: () => ['--set', 'guardWebhookConfiguration=false'] },
  {
    name: 'an existing Secret and caBundle',
    args: () => [
      '--set', 'certificates.source=existingSecret',
      '--set', 'certificates.existingSecret.name=webhook-tls',
      '--set', 'certificates.existingSecret.hasCaCert=false',
      '--set-file', `certificates.caBundle=${caFile}`,
    ],
  },
  {
    name: 'metrics, scheduling and pod extras',
    args: () => [
      '--set', 'metrics.port=9091',
      '--set', 'metrics.scrapeAnnotations=true',
      '--set', 'preStopSleepSeconds=10',
      '--set', 'nodeSelector.kubernetes\\.io/os=linux',
      '--set', 'tolerations[0].key=dedicated,tolerations[0].operator=Exists,tolerations[0].effect=NoSchedule',
      '--set', 'podAnnotations.example\\.com/team=platform',
      '--set', 'imagePullSecrets[0].name=registry',
      '--set', 'spread.whenUnsatisfiable=DoNotSchedule',
    ],
  },
];

describe('API server dry run', () => {
  for (const variant of variants) {
    it(`accepts every object rendered with ${variant.name}`, async () => {
      const args = ['template', release, chartPath, '--namespace', namespace, ...variant.args()];
      const rendered = await helm(cluster.binDir, args);
      assert.equal(rendered.code, 0, rendered.stderr);
      const applied = await dryRunApply(rendered.stdout);
      assert.equal(applied.code, 0, applied.output);
      assert.equal(applied.created, parseObjects(rendered.stdout).length, applied.output);
    });
  }

  it('accepts the plain manifests', async () => {
    const manifests = await readFile(manifestsPath, 'utf8');
    const applied = await dryRunApply(manifests);
    assert.equal(applied.code, 0, applied.output);
    assert.equal(applied.created, parseObjects(manifests).length, applied.output);
  });
});

describe('helm install --no-hooks', () => {
  before(async () => {
    const args = ['install', release, chartPath, '--namespace', namespace, '--no-hooks'];
    const installed = await helm(cluster.binDir, [...args, '--kubeconfig', cluster.kubeconfigPath]);
    assert.equal(installed.code, 0, installed.stdout + installed.stderr);
  });

  it('records a deployed release', async () => {
    const args = ['status', release, '--namespace', namespace, '--kubeconfig', cluster.kubeconfigPath, '-o', 'json'];
    const status = await helm(cluster.binDir, args);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { info: { status: string } }).info.status, 'deployed');
  });

  it('creates the namespaced objects', async () => {
    const kinds = 'deployment,service,serviceaccount,poddisruptionbudget,role,rolebinding';
    const listed = await kubectl(cluster, ['get', kinds, '-n', namespace, '-o', 'name']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.stdout.trim().split('\n').sort(), [
      `deployment.apps/${fullname}`,
      `poddisruptionbudget.policy/${fullname}`,
      `role.rbac.authorization.k8s.io/${fullname}`,
      `rolebinding.rbac.authorization.k8s.io/${fullname}`,
      `service/${fullname}`,
      `serviceaccount/${fullname}`,
    ]);
  });

  it('creates the webhook configuration with its matchConditions', async () => {
    const read = await kubectl(cluster, ['get', 'validatingwebhookconfiguration', fullname, '-o', 'json']);
    assert.equal(read.code, 0, read.stderr);
    const configuration = JSON.parse(read.stdout) as { webhooks: { matchConditions?: unknown[] }[] };
    assert.equal(configuration.webhooks[0]?.matchConditions?.length, 1);
  });

  it('recreates a deleted webhook configuration on upgrade', async () => {
    await allowConfigurationDeletion();
    const deleted = await kubectl(cluster, ['delete', 'validatingwebhookconfiguration', fullname]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const upgrade = ['upgrade', release, chartPath, '--namespace', namespace, '--reuse-values', '--no-hooks'];
    const upgraded = await helm(cluster.binDir, [...upgrade, '--kubeconfig', cluster.kubeconfigPath]);
    assert.equal(upgraded.code, 0, upgraded.stdout + upgraded.stderr);
    const read = await kubectl(cluster, ['get', 'validatingwebhookconfiguration', fullname, '-o', 'name']);
    assert.equal(read.stdout.trim(), `validatingwebhookconfiguration.admissionregistration.k8s.io/${fullname}`);
  });

  it('gives the ServiceAccount the RBAC the pods need', async () => {
    const user = `system:serviceaccount:${namespace}:${fullname}`;
    const crds = { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' };
    const pool = 'inferencepools.inference.networking.k8s.io';
    const checks: [ResourceAttributes, boolean][] = [
      [{ verb: 'list', group: 'inference.networking.k8s.io', resource: 'inferencepools' }, true],
      [{ verb: 'delete', group: 'inference.networking.k8s.io', resource: 'inferencepools', namespace }, false],
      [{ verb: 'patch', ...crds, name: pool }, true],
      [{ verb: 'delete', ...crds, name: pool }, false],
      [{ verb: 'patch', ...crds, name: 'widgets.example.com' }, false],
      [{ verb: 'patch', group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations', name: fullname }, true],
      [{ verb: 'patch', group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations', name: 'other' }, false],
      [{ verb: 'get', group: '', resource: 'secrets', namespace, name: `${fullname}-ca` }, true],
      [{ verb: 'get', group: '', resource: 'secrets', namespace, name: 'other' }, false],
      [{ verb: 'list', group: '', resource: 'secrets', namespace }, false],
      [{ verb: 'create', group: '', resource: 'secrets', namespace: 'default' }, false],
    ];
    for (const [attributes, expected] of checks) {
      assert.equal(await isAllowed(cluster, user, attributes), expected, JSON.stringify(attributes));
    }
  });
});

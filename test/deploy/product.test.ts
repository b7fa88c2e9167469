// The product runs with the credentials and the arguments the chart gives its
// pods, against the real API server: it installs the bundle, guards it, and is
// denied everything the chart does not grant. Then both ways of uninstalling.
// Pods never run on the test control plane, so the CLI runs here as a child
// process, and the chart's webhook configuration is pointed at it. For the
// same reason `helm uninstall` runs with --no-hooks, after the hook Job's
// command has run here with the hook's own account.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crdNames, loadBuiltInBundle } from '../../src/crds/bundle.ts';
import { keepOnUninstallAnnotation } from '../../src/crds/metadata.ts';
import { allowDeleteAnnotation } from '../../src/kube/webhook-guard-policy.ts';
import { freePort } from '../controlplane/controlplane.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import {
  createCrd,
  createInferencePool,
  deleteCrds,
  ensureNamespace,
  inferenceGroup,
  inferencePoolRef,
  readCrd,
  readCustomObject,
} from '../support/crds.ts';
import { kubectl } from '../support/kubectl.ts';
import { chartPath, containerOf, findObject, helm, parseObjects, type RenderedObject } from './helm.ts';
import { runCli, serviceAccountKubeconfig, startServe, waitUntil, type ServeProcess } from './product.ts';

const namespace = 'deploy-product';
const keepRelease = 'keep';
const dropRelease = 'drop';
const poolName = 'guarded-pool';
const poolCrd = 'inferencepools.inference.networking.k8s.io';
// CRDs outside the bundle, which the chart's accounts must not touch and the
// webhook must not block.
const bystanderCrds = ['bystanders.deploy-product.test.example', 'passersby.deploy-product.test.example'];

let cluster: TestCluster;
let bundleNames: string[];
let serving: ServeProcess | undefined;

function fullnameOf(release: string): string {
  return `${release}-inference-extension-crds`;
}

function helmArgs(...args: string[]): string[] {
  return [...args, '--namespace', namespace, '--kubeconfig', cluster.kubeconfigPath];
}

function bystanderCrd(name: string) {
  const [plural = '', ...groupParts] = name.split('.');
  const kind = plural.charAt(0).toUpperCase() + plural.slice(1, -1);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name },
    spec: {
      group: groupParts.join('.'),
      scope: 'Namespaced',
      names: { plural, singular: plural.slice(0, -1), kind, listKind: `${kind}List` },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
    },
  };
}

async function removeRelease(release: string): Promise<void> {
  // The chart's webhook guard policy denies deleting the configuration without this annotation.
  const annotation = `${allowDeleteAnnotation}=true`;
  await kubectl(cluster, ['annotate', 'validatingwebhookconfiguration', fullnameOf(release), annotation, '--overwrite']);
  await helm(cluster.binDir, helmArgs('uninstall', release, '--no-hooks'));
  // A webhook configuration left behind would block deleting the bundle CRDs in later test files.
  await kubectl(cluster, ['delete', 'validatingwebhookconfiguration', fullnameOf(release), '--ignore-not-found']);
  const policyName = `${fullnameOf(release)}-webhook-guard`;
  const policyKinds = 'validatingadmissionpolicybinding,validatingadmissionpolicy';
  await kubectl(cluster, ['delete', policyKinds, policyName, '--ignore-not-found']);
  const hookName = `${fullnameOf(release)}-uninstall`;
  await kubectl(cluster, ['delete', 'clusterrolebinding,clusterrole', hookName, '--ignore-not-found']);
  await kubectl(cluster, ['delete', 'serviceaccount', hookName, '-n', namespace, '--ignore-not-found']);
}

async function cleanUp(): Promise<void> {
  await serving?.stop();
  serving = undefined;
  await removeRelease(keepRelease);
  await removeRelease(dropRelease);
  await deleteCrds(cluster, [...bundleNames, ...bystanderCrds]);
}

async function installRelease(release: string, ...extra: string[]): Promise<void> {
  const installed = await helm(cluster.binDir, helmArgs('install', release, chartPath, '--no-hooks', ...extra));
  assert.equal(installed.code, 0, installed.stdout + installed.stderr);
}

// Points the chart's webhook configuration at a local URL, as the API server
// cannot reach a Service without pods. serve then writes the caBundle itself.
async function pointWebhookAt(release: string, port: number): Promise<void> {
  const clientConfig = { url: `https://127.0.0.1:${port}/validate` };
  const patch = JSON.stringify([{ op: 'replace', path: '/webhooks/0/clientConfig', value: clientConfig }]);
  const args = ['patch', 'validatingwebhookconfiguration', fullnameOf(release), '--type=json', '-p', patch];
  const patched = await kubectl(cluster, args);
  assert.equal(patched.code, 0, patched.stderr);
}

// Reads the container args of the release's Deployment as stored in the cluster.
async function liveDeploymentArgs(release: string): Promise<string[]> {
  const read = await kubectl(cluster, ['get', 'deployment', fullnameOf(release), '-n', namespace, '-o', 'json']);
  assert.equal(read.code, 0, read.stderr);
  return containerOf(JSON.parse(read.stdout) as RenderedObject).args;
}

// Runs serve with the pod's own args, overriding only what differs outside a
// pod: the credentials, the address, the ports and the certificate folder.
// Unless `pointWebhook` is false, the webhook configuration is first pointed
// at the process, so that the API server calls it.
async function serveAsPod(release: string, kubeconfig: string, pointWebhook = true): Promise<ServeProcess> {
  const port = await freePort();
  if (pointWebhook) await pointWebhookAt(release, port);
  const certDir = await mkdtemp(join(tmpdir(), 'deploy-product-certs-'));
  const overrides = [
    `--kubeconfig=${kubeconfig}`,
    '--listen-address=127.0.0.1',
    `--port=${port}`,
    `--metrics-port=${await freePort()}`,
    `--cert-dir=${certDir}`,
  ];
  const args = [...(await liveDeploymentArgs(release)), ...overrides];
  return startServe(args, port, { POD_NAMESPACE: namespace });
}

// Returns the base64 caBundle of the configuration's webhook, or '' when it has none.
async function caBundleOf(configurationName: string): Promise<string> {
  const read = await kubectl(cluster, ['get', 'validatingwebhookconfiguration', configurationName, '-o', 'json']);
  assert.equal(read.code, 0, read.stderr);
  const configuration = JSON.parse(read.stdout) as { webhooks: { clientConfig: { caBundle?: string } }[] };
  return configuration.webhooks[0]?.clientConfig.caBundle ?? '';
}

// Renders the release's uninstall hook objects with extra helm arguments.
async function renderHook(release: string, ...extra: string[]): Promise<RenderedObject[]> {
  const rendered = await helm(cluster.binDir, [
    'template', release, chartPath, '--namespace', namespace,
    '--show-only', 'templates/uninstall-hook.yaml', ...extra,
  ]);
  assert.equal(rendered.code, 0, rendered.stderr);
  return parseObjects(rendered.stdout);
}

// Runs the hook Job's exact command here, as the Job's own ServiceAccount with
// the hook's RBAC, because the Job cannot run without a kubelet.
async function runHookCommand(hookObjects: RenderedObject[]) {
  const accountObjects = hookObjects.filter((object) => object.kind !== 'Job');
  const manifests = accountObjects.map((object) => JSON.stringify(object)).join('\n');
  const applied = await kubectl(cluster, ['apply', '-f', '-'], manifests);
  assert.equal(applied.code, 0, applied.stderr);
  const job = findObject(hookObjects, 'Job');
  const hookKubeconfig = await serviceAccountKubeconfig(cluster, namespace, job.metadata.name);
  return runCli([...containerOf(job).args, '--kubeconfig', hookKubeconfig]);
}

function deleteConfiguration(name: string, ...extra: string[]) {
  return kubectl(cluster, ['delete', 'validatingwebhookconfiguration', name, ...extra]);
}

// The API server loads a new policy in the background, so a dry run shows when it acts.
async function waitForGuardPolicy(name: string): Promise<void> {
  await waitUntil('the guard policy denies a dry-run delete', async () =>
    (await deleteConfiguration(name, '--dry-run=server')).code !== 0,
  );
}

async function keepAnnotations(): Promise<(string | undefined)[]> {
  const crds = await Promise.all(bundleNames.map((name) => readCrd(cluster, name)));
  return crds.map((crd) => crd?.metadata?.annotations?.[keepOnUninstallAnnotation]);
}

async function poolExists(): Promise<boolean> {
  const crd = await readCrd(cluster, poolCrd);
  if (crd === undefined) return false;
  return (await readCustomObject(cluster, inferencePoolRef(inferenceGroup, namespace, poolName))) !== undefined;
}

before(async () => {
  cluster = await useCluster();
  bundleNames = crdNames(await loadBuiltInBundle());
  await ensureNamespace(cluster, namespace);
  await cleanUp();
});

after(cleanUp);

describe('chart account with keepOnUninstall true', () => {
  let kubeconfig: string;
  const fullname = fullnameOf(keepRelease);

  before(async () => {
    await installRelease(keepRelease);
    kubeconfig = await serviceAccountKubeconfig(cluster, namespace, fullname);
    for (const name of bystanderCrds) await createCrd(cluster, bystanderCrd(name));
  });

  it('installs the bundle', async () => {
    const installed = await runCli(['install', '--kubeconfig', kubeconfig]);
    assert.equal(installed.code, 0, installed.stdout + installed.stderr);
    const listed = await kubectl(cluster, ['get', 'crd']);
    const lines = listed.stdout.split('\n').filter((line) => line.includes('inference'));
    assert.equal(lines.length, 5, listed.stdout);
  });

  it('serves with the Deployment args until ready', async () => {
    // Readiness needs the caBundle to trust the serving certificate, not the API server's calls.
    serving = await serveAsPod(keepRelease, kubeconfig, false);
    assert.ok(serving !== undefined);
  });

  it('writes the caBundle of the chart webhook configuration', async () => {
    const caBundle = Buffer.from(await caBundleOf(fullname), 'base64').toString();
    assert.match(caBundle, /-----BEGIN CERTIFICATE-----/);
  });

  it('keeps the shared CA in the chart Secret', async () => {
    const read = await kubectl(cluster, ['get', 'secret', `${fullname}-ca`, '-n', namespace, '-o', 'name']);
    assert.equal(read.code, 0, read.stderr + serving?.output());
  });

  it('shares the CA with a second replica', async () => {
    // Each replica is ready only once the caBundle trusts its own certificate.
    const caBundle = await caBundleOf(fullname);
    const second = await serveAsPod(keepRelease, kubeconfig, false);
    await second.stop();
    assert.equal(await caBundleOf(fullname), caBundle);
  });

  it('keeps the caBundle through a helm upgrade that changes the webhook', async () => {
    const before = await caBundleOf(fullname);
    const upgrade = helmArgs('upgrade', keepRelease, chartPath, '--reuse-values', '--set', 'webhook.timeoutSeconds=9');
    const upgraded = await helm(cluster.binDir, [...upgrade, '--no-hooks']);
    assert.equal(upgraded.code, 0, upgraded.stdout + upgraded.stderr);
    const read = await kubectl(cluster, ['get', 'validatingwebhookconfiguration', fullname, '-o', 'jsonpath={.webhooks[0].timeoutSeconds}']);
    assert.equal(read.stdout, '9');
    assert.notEqual(before, '');
    assert.equal(await caBundleOf(fullname), before);
  });

  it('guards once the webhook configuration points at it', async () => {
    await serving?.stop();
    serving = await serveAsPod(keepRelease, kubeconfig);
    assert.ok(serving !== undefined);
  });

  it('denies deleting a CRD that has an InferencePool', async () => {
    await createInferencePool(cluster, inferenceGroup, namespace, poolName);
    const deleted = await kubectl(cluster, ['delete', 'crd', poolCrd, '--wait=false']);
    assert.notEqual(deleted.code, 0, deleted.stdout);
    assert.match(deleted.stderr, /denied the request/);
    assert.equal(await poolExists(), true);
  });

  it('cannot delete an InferencePool', async () => {
    const asPod = { ...cluster, kubeconfigPath: kubeconfig };
    const deleted = await kubectl(asPod, ['delete', 'inferencepool.inference.networking.k8s.io', poolName, '-n', namespace]);
    assert.notEqual(deleted.code, 0);
    assert.match(deleted.stderr, /forbidden/);
  });

  it('cannot read Secrets in another namespace', async () => {
    const asPod = { ...cluster, kubeconfigPath: kubeconfig };
    const listed = await kubectl(asPod, ['get', 'secrets', '-n', 'default']);
    assert.notEqual(listed.code, 0);
    assert.match(listed.stderr, /forbidden/);
  });

  it('cannot delete a CRD outside the bundle', async () => {
    const asPod = { ...cluster, kubeconfigPath: kubeconfig };
    const deleted = await kubectl(asPod, ['delete', 'crd', bystanderCrds[0] as string]);
    assert.notEqual(deleted.code, 0);
    assert.match(deleted.stderr, /forbidden/);
  });

  it('blocks no unrelated CRD deletion while the webhook is down', async () => {
    await serving?.stop();
    serving = undefined;
    const deleted = await kubectl(cluster, ['delete', 'crd', bystanderCrds[0] as string, '--wait=false']);
    assert.equal(deleted.code, 0, deleted.stderr);
  });

  it('still blocks bundle CRD deletion while the webhook is down', async () => {
    const deleted = await kubectl(cluster, ['delete', 'crd', 'inferenceobjectives.inference.networking.x-k8s.io']);
    assert.notEqual(deleted.code, 0, deleted.stdout);
    assert.match(deleted.stderr, /failed calling webhook/);
  });

  it('denies deleting the webhook configuration', async () => {
    await waitForGuardPolicy(fullname);
    const deleted = await deleteConfiguration(fullname);
    assert.notEqual(deleted.code, 0, deleted.stdout);
    assert.match(deleted.stderr, new RegExp(`ValidatingAdmissionPolicy '${fullname}-webhook-guard'`));
  });

  it('runs the hook Job command as the hook account', async () => {
    const uninstalled = await runHookCommand(await renderHook(keepRelease));
    assert.equal(uninstalled.code, 0, uninstalled.stdout + uninstalled.stderr);
    assert.equal(uninstalled.stdout.trim(), `validatingwebhookconfiguration/${fullname}  deletion-allowed`);
  });

  it('lets kubectl delete the webhook configuration after the hook', async () => {
    const deleted = await deleteConfiguration(fullname);
    assert.equal(deleted.code, 0, deleted.stderr);
  });

  it('leaves the CRDs and the InferencePool after the hook', async () => {
    for (const name of bundleNames) assert.notEqual(await readCrd(cluster, name), undefined, name);
    assert.equal(await poolExists(), true);
  });

  it('removes the rest on helm uninstall --no-hooks', async () => {
    const uninstalled = await helm(cluster.binDir, helmArgs('uninstall', keepRelease, '--no-hooks'));
    assert.equal(uninstalled.code, 0, uninstalled.stderr);
    for (const name of bundleNames) assert.notEqual(await readCrd(cluster, name), undefined, name);
    assert.equal(await poolExists(), true);
  });

  it('leaves no webhook configuration after helm uninstall', async () => {
    const read = await kubectl(cluster, ['get', 'validatingwebhookconfiguration', fullname, '--ignore-not-found', '-o', 'name']);
    assert.equal(read.stdout.trim(), '');
  });
});

describe('chart account with keepOnUninstall false', () => {
  let kubeconfig: string;
  let hookObjects: RenderedObject[];
  const fullname = fullnameOf(dropRelease);
  const hookName = `${fullname}-uninstall`;

  before(async () => {
    await installRelease(dropRelease);
    kubeconfig = await serviceAccountKubeconfig(cluster, namespace, fullname);
    hookObjects = await renderHook(dropRelease, '--set', 'keepOnUninstall=false');
  });

  it('switches the Deployment on helm upgrade --reuse-values', async () => {
    const upgrade = helmArgs('upgrade', dropRelease, chartPath, '--reuse-values', '--set', 'keepOnUninstall=false', '--no-hooks');
    const upgraded = await helm(cluster.binDir, upgrade);
    assert.equal(upgraded.code, 0, upgraded.stdout + upgraded.stderr);
    assert.ok((await liveDeploymentArgs(dropRelease)).includes('--no-keep-on-uninstall'));
  });

  it('makes restarted pods write keep-on-uninstall "false"', async () => {
    serving = await serveAsPod(dropRelease, kubeconfig);
    await waitUntil('every bundle CRD is annotated "false"', async () =>
      (await keepAnnotations()).every((value) => value === 'false'),
    );
    assert.deepEqual(await keepAnnotations(), bundleNames.map(() => 'false'));
  });

  it('denies deleting the webhook configuration before the hook', async () => {
    await waitForGuardPolicy(fullname);
    const deleted = await deleteConfiguration(fullname, '--dry-run=server');
    assert.notEqual(deleted.code, 0, deleted.stdout);
  });

  it('runs the hook Job command as the hook account to delete the CRDs', async () => {
    // A pod that has not restarted yet may still have written "true", which the hook must reset.
    const annotate = ['annotate', 'crd', poolCrd, `${keepOnUninstallAnnotation}=true`, '--overwrite'];
    assert.equal((await kubectl(cluster, annotate)).code, 0);

    const uninstalled = await runHookCommand(hookObjects);
    assert.equal(uninstalled.code, 0, uninstalled.stdout + uninstalled.stderr + serving?.output());
    const lines = uninstalled.stdout.trim().split('\n');
    const deleted = lines.filter((line) => line.endsWith(' deleted'));
    assert.equal(deleted.length, bundleNames.length, uninstalled.stdout);
    assert.equal(lines.at(-1), `validatingwebhookconfiguration/${fullname}  deletion-allowed`);
  });

  it('removes the CRDs and the InferencePool with them', async () => {
    await waitUntil('the bundle CRDs are gone', async () => {
      const crds = await Promise.all(bundleNames.map((name) => readCrd(cluster, name)));
      return crds.every((crd) => crd === undefined);
    });
    assert.equal(await poolExists(), false);
  });

  it('lets kubectl delete the webhook configuration after the hook', async () => {
    const deleted = await deleteConfiguration(fullname);
    assert.equal(deleted.code, 0, deleted.stderr);
  });

  it('gives the hook account no CRD outside the bundle', async () => {
    const hookKubeconfig = await serviceAccountKubeconfig(cluster, namespace, hookName);
    const deleted = await kubectl({ ...cluster, kubeconfigPath: hookKubeconfig }, ['delete', 'crd', bystanderCrds[1] as string]);
    assert.notEqual(deleted.code, 0);
    assert.match(deleted.stderr, /forbidden/);
  });
});

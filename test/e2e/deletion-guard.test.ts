// The whole product against the real API server: `serve` installs the bundle
// and registers its webhook, then the real kubectl tries to delete CRDs.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { AdmissionregistrationV1Api, KubeConfig } from '@kubernetes/client-node';
import { parseCommandLine, type Config } from '../../src/config/parse.ts';
import { loadBuiltInBundle } from '../../src/crds/bundle.ts';
import { keepOnUninstallAnnotation } from '../../src/crds/metadata.ts';
import { createClients } from '../../src/kube/client.ts';
import { isNotFound } from '../../src/kube/status.ts';
import { createLogger } from '../../src/logger.ts';
import { startWebhookService, type WebhookService } from '../../src/server/service.ts';
import { freePort } from '../controlplane/controlplane.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import {
  builtInCrdNames,
  createInferencePool,
  deleteCrds,
  ensureNamespace,
  experimentalGroup,
  inferenceGroup,
  readCrd,
} from '../support/crds.ts';
import { kubectl } from '../support/kubectl.ts';
import { startServe, waitUntilReady, type ServeProcess } from './serve-process.ts';

const namespace = 'e2e-deletion-guard';
const configurationName = 'e2e-deletion-guard';
const deadLookupConfigurationName = 'e2e-deletion-guard-dead-lookup';
const poolCrd = `inferencepools.${inferenceGroup}`;
const objectivesCrd = `inferenceobjectives.${experimentalGroup}`;
const unrelatedCrd = 'gadgets.e2e-deletion-guard.test.example';
const annotateCommand = `kubectl annotate crd ${poolCrd} ${keepOnUninstallAnnotation}=false --overwrite`;

let cluster: TestCluster;
let admission: AdmissionregistrationV1Api;
let folder: string;
let serve: ServeProcess | undefined;
let service: WebhookService | undefined;

async function deleteConfiguration(name: string): Promise<void> {
  await admission.deleteValidatingWebhookConfiguration({ name }).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
}

async function deletePool(group: string, name: string): Promise<void> {
  const result = await kubectl(cluster, ['delete', `inferencepools.${group}`, name, '-n', namespace, '--ignore-not-found']);
  assert.equal(result.code, 0, result.stderr);
}

async function waitForCrdGone(name: string): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await readCrd(cluster, name)) === undefined) return true;
    await sleep(250);
  }
  return false;
}

function serveArguments(port: number, certDir: string, name: string): string[] {
  return [
    `--kubeconfig=${cluster.kubeconfigPath}`,
    '--listen-address=127.0.0.1',
    `--port=${port}`,
    `--cert-dir=${certDir}`,
    `--webhook-config-name=${name}`,
    `--webhook-url=https://127.0.0.1:${port}/validate`,
    '--shutdown-timeout=10',
  ];
}

before(async () => {
  cluster = await useCluster();
  admission = cluster.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  await deleteConfiguration(configurationName);
  await deleteConfiguration(deadLookupConfigurationName);
  // Removing the CRDs removes every InferencePool, so each count starts at zero.
  await deleteCrds(cluster, [...(await builtInCrdNames()), unrelatedCrd]);
  await ensureNamespace(cluster, namespace);
  folder = await mkdtemp(join(tmpdir(), 'inference-crds-e2e-'));
});

after(async () => {
  await serve?.stop();
  await service?.stop();
  await deleteConfiguration(configurationName);
  await deleteConfiguration(deadLookupConfigurationName);
  await rm(folder, { recursive: true, force: true });
});

describe('serve with kubectl delete crd', () => {
  let port: number;

  before(async () => {
    port = await freePort();
    const certDir = join(folder, 'certs');
    serve = startServe(serveArguments(port, certDir, configurationName));
    await waitUntilReady(serve, port, certDir);
  });

  it('logs the listening address', () => {
    const listening = serve?.logs.find((line) => line.msg === 'webhook server listening');
    assert.equal(listening?.address, '127.0.0.1');
    assert.equal(listening?.port, port);
  });

  it('rejects deletion while a v1 pool exists', async () => {
    await createInferencePool(cluster, inferenceGroup, namespace, 'pool-v1');
    try {
      const result = await kubectl(cluster, ['delete', 'crd', poolCrd]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /admission webhook "crd-deletion-guard\.inference-extension-crds\.dev" denied the request/);
      assert.ok(result.stderr.includes(`InferencePool ${inferenceGroup}/v1: 1 (${namespace}/pool-v1)`), result.stderr);
      assert.ok(result.stderr.includes(annotateCommand), result.stderr);
      assert.notEqual(await readCrd(cluster, poolCrd), undefined);
    } finally {
      await deletePool(inferenceGroup, 'pool-v1');
    }
  });

  it('rejects deletion while a v1alpha2 pool exists', async () => {
    await createInferencePool(cluster, experimentalGroup, namespace, 'pool-alpha');
    try {
      const result = await kubectl(cluster, ['delete', 'crd', poolCrd]);
      assert.notEqual(result.code, 0);
      assert.ok(result.stderr.includes(`InferencePool ${experimentalGroup}/v1alpha2: 1 (${namespace}/pool-alpha)`), result.stderr);
      assert.ok(result.stderr.includes(annotateCommand), result.stderr);
      assert.notEqual(await readCrd(cluster, poolCrd), undefined);
    } finally {
      await deletePool(experimentalGroup, 'pool-alpha');
    }
  });

  it('rejects a server-side dry run the same way', async () => {
    await createInferencePool(cluster, inferenceGroup, namespace, 'pool-dry-run');
    const result = await kubectl(cluster, ['delete', 'crd', poolCrd, '--dry-run=server']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /denied the request/);
    assert.ok(result.stderr.includes(`InferencePool ${inferenceGroup}/v1: 1 (${namespace}/pool-dry-run)`), result.stderr);
    assert.ok(result.stderr.includes(annotateCommand), result.stderr);
  });

  it('allows deletion once keep-on-uninstall is false', async () => {
    const annotated = await kubectl(cluster, ['annotate', 'crd', poolCrd, `${keepOnUninstallAnnotation}=false`, '--overwrite']);
    assert.equal(annotated.code, 0, annotated.stderr);
    const result = await kubectl(cluster, ['delete', 'crd', poolCrd]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await waitForCrdGone(poolCrd), true);
  });

  it('allows deletion with no pools and no objects', async () => {
    const result = await kubectl(cluster, ['delete', 'crd', objectivesCrd]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await waitForCrdGone(objectivesCrd), true);
  });

  it('lets an unrelated CRD go freely', async () => {
    await createInferencePool(cluster, experimentalGroup, namespace, 'pool-while-unrelated');
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: unrelatedCrd },
      spec: {
        group: 'e2e-deletion-guard.test.example',
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
      },
    };
    try {
      const created = await kubectl(cluster, ['create', '-f', '-'], JSON.stringify(crd));
      assert.equal(created.code, 0, created.stderr);
      const result = await kubectl(cluster, ['delete', 'crd', unrelatedCrd]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await waitForCrdGone(unrelatedCrd), true);
    } finally {
      await deletePool(experimentalGroup, 'pool-while-unrelated');
    }
  });

  it('exits cleanly on SIGTERM', async () => {
    const code = await serve?.stop();
    assert.equal(code, 0, serve?.logText());
    const messages = serve?.logs.map((line) => line.msg) ?? [];
    assert.ok(messages.includes('shutdown signal received'));
    assert.ok(messages.includes('webhook server stopped'));
    await deleteConfiguration(configurationName);
  });
});

// A kubeconfig like the test cluster's whose server URL points at a closed port.
function deadKubeConfig(url: string): KubeConfig {
  const live = cluster.kubeConfig;
  const current = live.getCurrentCluster();
  if (current === null) throw new Error('test kubeconfig has no current cluster');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ ...current, server: url }],
    users: live.getUsers(),
    contexts: live.getContexts(),
    currentContext: live.getCurrentContext(),
  });
  return kubeConfig;
}

function serveConfig(port: number): Config {
  const args = serveArguments(port, join(folder, 'dead-lookup-certs'), deadLookupConfigurationName);
  const parsed = parseCommandLine(['serve', ...args, '--lookup-timeout=2000'], {});
  if (parsed.kind !== 'run') throw new Error(`serve arguments did not parse: ${args.join(' ')}`);
  return parsed.config;
}

describe('serve whose lookups cannot reach the API server', () => {
  before(async () => {
    const config = serveConfig(await freePort());
    const lookupClients = createClients(deadKubeConfig(`https://127.0.0.1:${await freePort()}`));
    const logger = createLogger('silent');
    const bundle = await loadBuiltInBundle();
    service = await startWebhookService({ config, logger, bundle, clients: createClients(cluster.kubeConfig), lookupClients });
    const deadline = Date.now() + 120_000;
    while (!service.readiness.report().ready && Date.now() < deadline) await sleep(250);
    assert.deepEqual(service.readiness.report().notReady, []);
  });

  it('rejects the deletion', async () => {
    const result = await kubectl(cluster, ['delete', 'crd', poolCrd]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /denied the request: could not check whether deleting CRD inferencepools\.inference\.networking\.k8s\.io would lose objects/);
    assert.notEqual(await readCrd(cluster, poolCrd), undefined);
  });

  it('fails readiness as soon as it stops', async () => {
    const running = service as WebhookService;
    const stopping = running.stop();
    service = undefined;
    assert.equal(running.readiness.report().ready, false);
    await stopping;
    await deleteConfiguration(deadLookupConfigurationName);
  });
});

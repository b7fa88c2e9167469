// A slow API server: the guard's lookups go through a proxy that holds every
// response for 15 s, longer than the webhook's 10 s timeoutSeconds. The guard
// gives up after --lookup-timeout (2 s) and denies with a message that names
// the cause, so the API server never times out the webhook call itself.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { AdmissionregistrationV1Api, KubeConfig } from '@kubernetes/client-node';
import { parseCommandLine } from '../../src/config/parse.ts';
import { loadBuiltInBundle } from '../../src/crds/bundle.ts';
import { createClients } from '../../src/kube/client.ts';
import { isNotFound } from '../../src/kube/status.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { startWebhookService, type WebhookService } from '../../src/server/service.ts';
import { freePort } from '../controlplane/controlplane.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import {
  builtInCrdNames,
  createInferencePool,
  deleteCrds,
  ensureNamespace,
  inferenceGroup,
  readCrd,
} from '../support/crds.ts';
import { kubectl } from '../support/kubectl.ts';
import {
  apiServerAddress,
  startDelayProxy,
  writeProxyKubeconfig,
  type DelayProxy,
} from './delay-proxy.ts';
import { sampleValue } from './metrics-scrape.ts';

const namespace = 'e2e-slow-api';
const configurationName = 'e2e-slow-api';
const poolCrd = `inferencepools.${inferenceGroup}`;
const metrics = createMetrics({ collectProcess: false });

let cluster: TestCluster;
let admission: AdmissionregistrationV1Api;
let proxy: DelayProxy;
let folder: string;
let service: WebhookService | undefined;

async function deleteConfiguration(): Promise<void> {
  await admission
    .deleteValidatingWebhookConfiguration({ name: configurationName })
    .catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
}

before(async () => {
  cluster = await useCluster();
  admission = cluster.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  await deleteConfiguration();
  await deleteCrds(cluster, await builtInCrdNames());
  await ensureNamespace(cluster, namespace);
  folder = await mkdtemp(join(tmpdir(), 'inference-crds-slow-api-'));
  proxy = await startDelayProxy(apiServerAddress(cluster));
  const slowKubeConfig = new KubeConfig();
  slowKubeConfig.loadFromFile(await writeProxyKubeconfig(cluster, proxy));

  const port = await freePort();
  const args = [
    'serve',
    '--listen-address=127.0.0.1',
    `--port=${port}`,
    `--cert-dir=${join(folder, 'certs')}`,
    `--webhook-config-name=${configurationName}`,
    `--webhook-url=https://127.0.0.1:${port}/validate`,
    '--lookup-timeout=2000',
  ];
  const parsed = parseCommandLine(args, {});
  if (parsed.kind !== 'run') throw new Error('serve arguments did not parse');
  const clients = createClients(cluster.kubeConfig);
  const lookupClients = createClients(slowKubeConfig);
  const bundle = await loadBuiltInBundle();
  const logger = createLogger('silent');
  service = await startWebhookService({
    config: parsed.config,
    logger,
    bundle,
    clients,
    lookupClients,
    metrics,
  });
  const deadline = Date.now() + 120_000;
  while (!service.readiness.report().ready && Date.now() < deadline) await sleep(250);
  assert.deepEqual(service.readiness.report().notReady, []);
  await createInferencePool(cluster, inferenceGroup, namespace, 'slow-pool');
});

after(async () => {
  try {
    await service?.stop();
    await deleteConfiguration();
  } finally {
    await proxy.close();
    await rm(folder, { recursive: true, force: true });
  }
});

describe('guard behind a slow API server', () => {
  it('denies with its own timeout message', async () => {
    proxy.delayMs = 15_000;
    const result = await kubectl(cluster, ['delete', 'crd', poolCrd, '--wait=false']);
    proxy.delayMs = 0;
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /denied the request: could not check whether deleting CRD inferencepools/,
    );
    assert.match(result.stderr, /timed out after 2000 ms waiting for the API server/);
    assert.doesNotMatch(result.stderr, /failed calling webhook|context deadline exceeded/);
    assert.notEqual(await readCrd(cluster, poolCrd), undefined);
  });

  it('counts the failed lookup', async () => {
    const text = await metrics.registry.metrics();
    const labels = { verdict: 'error', reason: 'lookup-failed', crd: poolCrd };
    assert.equal(sampleValue(text, 'inference_crds_admission_requests_total', labels), 1);
  });
});

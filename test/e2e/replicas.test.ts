// Three `serve` processes started at once against the real API server, sharing
// one CA through a Secret. Each has its own webhook in one configuration, so
// every `kubectl delete crd` of a bundle CRD calls all three, and the API
// server verifies each one's certificate. Their serving certificates live 20 s,
// so renewal happens while the test runs. Replicas 1 and 2 reach the API
// server through a proxy that can delay its responses, to keep a request in
// flight during SIGTERM.
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AdmissionregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { isNotFound } from '../../src/kube/status.ts';
import { caBundleTrusts } from '../../src/tls/ca-bundle.ts';
import { freePort } from '../controlplane/controlplane.ts';
import { requestJson } from '../server/https-client.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import {
  builtInCrdNames,
  createInferencePool,
  deleteCrds,
  ensureNamespace,
  inferenceGroup,
} from '../support/crds.ts';
import { kubectl } from '../support/kubectl.ts';
import {
  apiServerAddress,
  startDelayProxy,
  writeProxyKubeconfig,
  type DelayProxy,
} from './delay-proxy.ts';
import { sampleValue, scrapeMetrics } from './metrics-scrape.ts';
import {
  readyzStatus,
  replicaConfiguration,
  servedCertificate,
  waitFor,
  waitUntilReady,
} from './replicas.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const namespace = 'e2e-replicas';
const caSecret = 'e2e-replicas-ca';
const configurationName = 'e2e-replicas';
const poolCrd = `inferencepools.${inferenceGroup}`;
const servingValiditySeconds = 20;
// Replica 1 cuts requests still open 3 s after SIGTERM; the others wait 20 s.
const shutdownTimeouts = [20, 3, 20];
const deniedByPools = { verdict: 'denied', reason: 'objects-exist', crd: poolCrd };

interface Replica {
  readonly port: number;
  readonly metricsPort: number;
  readonly serve: ServeProcess;
  readonly firstCertificate: { fingerprint256: string; validToDate: Date };
}

let cluster: TestCluster;
let admission: AdmissionregistrationV1Api;
let core: CoreV1Api;
let proxy: DelayProxy;
let folder: string;
let replicas: Replica[] = [];

async function deleteConfiguration(): Promise<void> {
  await admission
    .deleteValidatingWebhookConfiguration({ name: configurationName })
    .catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
}

async function deleteSecret(): Promise<void> {
  await core.deleteNamespacedSecret({ name: caSecret, namespace }).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
}

async function sharedCa(): Promise<string> {
  const secret = await core.readNamespacedSecret({ name: caSecret, namespace });
  return Buffer.from(secret.data?.['ca.crt'] ?? '', 'base64').toString('utf8');
}

function serveArguments(
  index: number,
  port: number,
  metricsPort: number,
  kubeconfig: string,
): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    '--listen-address=127.0.0.1',
    `--port=${port}`,
    `--metrics-port=${metricsPort}`,
    `--cert-dir=${join(folder, `replica-${index}`)}`,
    `--ca-secret=${caSecret}`,
    `--namespace=${namespace}`,
    `--webhook-config-name=${configurationName}`,
    `--serving-cert-validity=${servingValiditySeconds}`,
    '--ca-validity=3600',
    `--shutdown-timeout=${shutdownTimeouts[index]}`,
    '--lookup-timeout=8000',
  ];
}

async function deniedCount(replica: Replica): Promise<number> {
  const scraped = await scrapeMetrics(replica.metricsPort);
  return sampleValue(scraped.text, 'inference_crds_admission_requests_total', deniedByPools);
}

// Deletes the pool CRD with the real kubectl and returns its stderr; the guard must deny it.
async function deleteThroughWebhooks(): Promise<string> {
  const result = await kubectl(cluster, ['delete', 'crd', poolCrd, '--wait=false']);
  assert.notEqual(result.code, 0, result.stdout);
  return result.stderr;
}

function logsOf(replica: Replica) {
  return replica.serve.logs;
}

before(async () => {
  cluster = await useCluster();
  admission = cluster.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  await deleteConfiguration();
  const crdNames = await builtInCrdNames();
  await deleteCrds(cluster, crdNames);
  await ensureNamespace(cluster, namespace);
  await deleteSecret();
  folder = await mkdtemp(join(tmpdir(), 'inference-crds-replicas-'));
  proxy = await startDelayProxy(apiServerAddress(cluster));
  const proxyKubeconfig = await writeProxyKubeconfig(cluster, proxy);

  const ports = await Promise.all(
    [0, 1, 2].map(async () => ({ port: await freePort(), metricsPort: await freePort() })),
  );
  const urls = ports.map(({ port }) => `https://127.0.0.1:${port}/validate`);
  await admission.createValidatingWebhookConfiguration({
    body: replicaConfiguration(configurationName, urls, crdNames),
  });

  const serves = ports.map(({ port, metricsPort }, index) => {
    const kubeconfig = index === 0 ? cluster.kubeconfigPath : proxyKubeconfig;
    return startServe(serveArguments(index, port, metricsPort, kubeconfig));
  });
  await Promise.all(serves.map((serve, index) => waitUntilReady(serve, ports[index]!.port)));
  replicas = await Promise.all(
    serves.map(async (serve, index) => {
      const { port, metricsPort } = ports[index]!;
      const { certificate } = await servedCertificate(port);
      return { port, metricsPort, serve, firstCertificate: certificate };
    }),
  );
});

after(async () => {
  proxy.delayMs = 0;
  try {
    await Promise.all(replicas.map((replica) => replica.serve.stop()));
    await deleteConfiguration();
    await deleteSecret();
  } finally {
    await proxy.close();
    await rm(folder, { recursive: true, force: true });
  }
});

describe('three replicas with one CA Secret', () => {
  it('creates the CA Secret once', () => {
    const created = replicas.flatMap((replica) =>
      logsOf(replica).filter((line) => line.msg === 'ca secret created'),
    );
    assert.equal(created.length, 1);
  });

  it('serves certificates of the shared CA', async () => {
    const ca = await sharedCa();
    for (const replica of replicas) {
      const { authorized } = await servedCertificate(replica.port, ca);
      assert.equal(authorized, true, `replica on port ${replica.port}`);
    }
  });

  it('writes the shared CA into every caBundle', async () => {
    const configuration = await admission.readValidatingWebhookConfiguration({
      name: configurationName,
    });
    for (const replica of replicas) {
      const { certificate } = await servedCertificate(replica.port);
      for (const webhook of configuration.webhooks ?? []) {
        assert.equal(
          caBundleTrusts(webhook.clientConfig.caBundle, certificate.toString()),
          true,
          webhook.name,
        );
      }
    }
  });

  it('judges a deletion in every replica', async () => {
    await createInferencePool(cluster, inferenceGroup, namespace, 'replicated-pool');
    const before = await Promise.all(replicas.map(deniedCount));
    const stderr = await deleteThroughWebhooks();
    assert.match(stderr, /denied the request/);
    assert.doesNotMatch(stderr, /failed calling webhook/);
    const counts = await Promise.all(replicas.map(deniedCount));
    assert.deepEqual(
      counts,
      before.map((count) => count + 1),
    );
  });

  it('serves /metrics in the Prometheus text format', async () => {
    const scraped = await scrapeMetrics(replicas[0]!.metricsPort);
    assert.equal(scraped.statusCode, 200);
    assert.match(scraped.contentType, /^text\/plain; version=0\.0\.4/);
    assert.match(
      scraped.text,
      /^# TYPE inference_crds_admission_decision_duration_seconds histogram$/m,
    );
    assert.match(scraped.text, /^process_resident_memory_bytes \d+/m);
  });

  it('records installer outcomes per CRD', async () => {
    const scraped = await scrapeMetrics(replicas[0]!.metricsPort);
    const outcomes = scraped.text
      .split('\n')
      .filter((line) => line.startsWith('inference_crds_installer_crd_outcomes_total{'));
    assert.equal(outcomes.length, 5, scraped.text);
  });

  it('renews each serving certificate without a restart', async () => {
    const pids = replicas.map((replica) => replica.serve.child.pid);
    for (const replica of replicas) {
      await waitFor(`replica on port ${replica.port} serves a new certificate`, async () => {
        const { certificate } = await servedCertificate(replica.port);
        return certificate.fingerprint256 !== replica.firstCertificate.fingerprint256;
      });
    }
    assert.deepEqual(
      replicas.map((replica) => replica.serve.child.pid),
      pids,
    );
    assert.deepEqual(
      replicas.map((replica) => replica.serve.child.exitCode),
      [null, null, null],
    );
  });

  it('moves the serving expiry metric forward', async () => {
    for (const replica of replicas) {
      const scraped = await scrapeMetrics(replica.metricsPort);
      const expiry = sampleValue(
        scraped.text,
        'inference_crds_certificate_expiry_timestamp_seconds',
        { certificate: 'serving' },
      );
      assert.ok(
        expiry * 1000 > replica.firstCertificate.validToDate.getTime(),
        `${expiry} on port ${replica.port}`,
      );
    }
  });

  it('keeps judging after the first certificates expired', async () => {
    const lastExpiry = Math.max(
      ...replicas.map((replica) => replica.firstCertificate.validToDate.getTime()),
    );
    await waitFor(
      'the first serving certificates have expired',
      async () => Date.now() > lastExpiry + 1000,
    );
    const before = await Promise.all(replicas.map(deniedCount));
    const stderr = await deleteThroughWebhooks();
    assert.match(stderr, /denied the request/);
    assert.doesNotMatch(stderr, /failed calling webhook/);
    assert.deepEqual(
      await Promise.all(replicas.map(deniedCount)),
      before.map((count) => count + 1),
    );
  });

  it('stays ready through renewals', async () => {
    const statuses = await Promise.all(replicas.map((replica) => readyzStatus(replica.port)));
    assert.deepEqual(statuses, [200, 200, 200]);
  });
});

// Sends a review of deleting the pool CRD straight to a replica.
async function postReview(port: number, ca: string, uid: string) {
  const fixture = JSON.parse(
    await readFile(
      new URL('../fixtures/admission/delete-inferencepool-crd.json', import.meta.url),
      'utf8',
    ),
  );
  fixture.request.uid = uid;
  return requestJson(`https://127.0.0.1:${port}/validate`, {
    ca,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fixture),
  });
}

// Resolves once the replica has logged an incoming POST /validate after `from` log lines.
async function waitForIncomingReview(replica: Replica, from: number): Promise<void> {
  const arrived = () =>
    logsOf(replica)
      .slice(from)
      .some(
        (line) =>
          line.msg === 'incoming request' && (line.req as { url?: string })?.url === '/validate',
      );
  await waitFor('the review reaches the guard', async () => arrived(), 30_000).catch(
    (err: Error) => {
      throw new Error(`${err.message}:\n${replica.serve.logText().slice(-5000)}`);
    },
  );
}

function connectionRefused(port: number): Promise<boolean> {
  return readyzStatus(port).then((status) => status === 0);
}

describe('SIGTERM', () => {
  it('drains a request in flight and exits 0', async () => {
    const replica = replicas[2]!;
    const ca = await sharedCa();
    const from = logsOf(replica).length;
    // Longer than the refusal check below takes, shorter than --lookup-timeout.
    proxy.delayMs = 5000;
    const response = postReview(replica.port, ca, 'drain-in-flight');
    await waitForIncomingReview(replica, from);
    const signalled = Date.now();
    replica.serve.child.kill('SIGTERM');
    await waitFor('new connections are refused', () => connectionRefused(replica.port), 10_000);
    const answered = await response;
    const code = await replica.serve.exited;
    proxy.delayMs = 0;

    assert.equal(answered.statusCode, 200);
    const review = answered.body as { response: { uid: string; allowed: boolean } };
    assert.equal(review.response.uid, 'drain-in-flight');
    assert.equal(review.response.allowed, false);
    assert.equal(code, 0, replica.serve.logText());
    assert.ok(Date.now() - signalled < (shutdownTimeouts[2]! + 10) * 1000);
  });

  it('cuts a stuck request at --shutdown-timeout and exits 0', async () => {
    const replica = replicas[1]!;
    const ca = await sharedCa();
    const from = logsOf(replica).length;
    // Longer than --lookup-timeout, so only the shutdown timeout can end the request.
    proxy.delayMs = 30_000;
    const response = postReview(replica.port, ca, 'stuck-in-flight').then(
      () => 'answered',
      (err: NodeJS.ErrnoException) => err.code,
    );
    await waitForIncomingReview(replica, from);
    const signalled = Date.now();
    replica.serve.child.kill('SIGTERM');
    const code = await replica.serve.exited;
    const elapsedMs = Date.now() - signalled;
    proxy.delayMs = 0;

    assert.equal(code, 0, replica.serve.logText());
    assert.equal(await response, 'ECONNRESET');
    assert.ok(elapsedMs < (shutdownTimeouts[1]! + 10) * 1000, `exited after ${elapsedMs} ms`);
    assert.ok(
      logsOf(replica).some((line) => line.msg === 'shutdown timed out, closing open connections'),
    );
  });
});

// A CA rotation with two `serve` processes against the real API server. The
// shared CA lives 45 s and is replaced after 67% of that, so it rotates while
// the test deletes a guarded CRD every few seconds through both webhooks.
// Every call must reach a verdict: none may fail TLS verification.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { AdmissionregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { isNotFound } from '../../src/kube/status.ts';
import { freePort } from '../controlplane/controlplane.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import {
  builtInCrdNames,
  createInferencePool,
  deleteCrds,
  ensureNamespace,
  inferenceGroup,
} from '../support/crds.ts';
import { kubectl } from '../support/kubectl.ts';
import { replicaConfiguration, waitUntilReady } from './replicas.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const namespace = 'e2e-ca-rotation';
const caSecret = 'e2e-ca-rotation-ca';
const configurationName = 'e2e-ca-rotation';
const poolCrd = `inferencepools.${inferenceGroup}`;
const caValiditySeconds = 45;

let cluster: TestCluster;
let admission: AdmissionregistrationV1Api;
let core: CoreV1Api;
let folder: string;
let serves: ServeProcess[] = [];

interface Observation {
  /** Fingerprints of the certificates in each webhook's caBundle. */
  readonly caBundles: string[][];
  readonly currentCa?: string;
  readonly previousCa?: string;
}

interface RotationRecord {
  readonly initialCa: X509Certificate;
  readonly observations: Observation[];
  /** stderr of each deletion that did not get the guard's denial. */
  readonly failures: string[];
  readonly deletions: number;
}

let record: RotationRecord;

function fingerprints(pem: string): string[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block).fingerprint256);
}

function decode(base64: string | undefined): string {
  return Buffer.from(base64 ?? '', 'base64').toString('utf8');
}

async function observe(): Promise<Observation> {
  const configuration = await admission.readValidatingWebhookConfiguration({
    name: configurationName,
  });
  const secret = await core.readNamespacedSecret({ name: caSecret, namespace });
  const caBundles = (configuration.webhooks ?? []).map((webhook) =>
    fingerprints(decode(webhook.clientConfig.caBundle)),
  );
  const [currentCa] = fingerprints(decode(secret.data?.['ca.crt']));
  const [previousCa] = fingerprints(decode(secret.data?.['ca-previous.crt']));
  return { caBundles, currentCa, previousCa };
}

// Deletes the guarded CRD through both webhooks until the initial CA has
// expired and a few seconds more, recording what each call and the cluster showed.
async function deleteThroughRotation(initialCa: X509Certificate): Promise<RotationRecord> {
  const observations: Observation[] = [];
  const failures: string[] = [];
  let deletions = 0;
  const end = initialCa.validToDate.getTime() + 8000;
  while (Date.now() < end) {
    const result = await kubectl(cluster, ['delete', 'crd', poolCrd, '--wait=false']);
    deletions++;
    if (
      result.code === 0 ||
      !/denied the request/.test(result.stderr) ||
      /failed calling webhook/.test(result.stderr)
    ) {
      failures.push(`${new Date().toISOString()} ${result.stderr}`);
    }
    observations.push(await observe());
    await sleep(1000);
  }
  return { initialCa, observations, failures, deletions };
}

async function cleanUp(): Promise<void> {
  await admission
    .deleteValidatingWebhookConfiguration({ name: configurationName })
    .catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  await core.deleteNamespacedSecret({ name: caSecret, namespace }).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
}

before(async () => {
  cluster = await useCluster();
  admission = cluster.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  await cleanUp();
  const crdNames = await builtInCrdNames();
  await deleteCrds(cluster, crdNames);
  await ensureNamespace(cluster, namespace);
  folder = await mkdtemp(join(tmpdir(), 'inference-crds-rotation-'));

  const ports = [await freePort(), await freePort()];
  const urls = ports.map((port) => `https://127.0.0.1:${port}/validate`);
  await admission.createValidatingWebhookConfiguration({
    body: replicaConfiguration(configurationName, urls, crdNames),
  });
  serves = ports.map((port, index) =>
    startServe([
      `--kubeconfig=${cluster.kubeconfigPath}`,
      '--listen-address=127.0.0.1',
      `--port=${port}`,
      `--cert-dir=${join(folder, `replica-${index}`)}`,
      `--ca-secret=${caSecret}`,
      `--namespace=${namespace}`,
      `--webhook-config-name=${configurationName}`,
      '--serving-cert-validity=15',
      `--ca-validity=${caValiditySeconds}`,
    ]),
  );
  await Promise.all(serves.map((serve, index) => waitUntilReady(serve, ports[index]!)));
  await createInferencePool(cluster, inferenceGroup, namespace, 'rotation-pool');

  const secret = await core.readNamespacedSecret({ name: caSecret, namespace });
  record = await deleteThroughRotation(new X509Certificate(decode(secret.data?.['ca.crt'])));
});

after(async () => {
  try {
    await Promise.all(serves.map((serve) => serve.stop()));
    await cleanUp();
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

describe('CA rotation across two replicas', () => {
  it('rotates the shared CA', () => {
    const initial = record.initialCa.fingerprint256;
    assert.ok(record.observations.some((seen) => seen.currentCa !== initial));
  });

  it('keeps the replaced CA as ca-previous.crt', () => {
    const initial = record.initialCa.fingerprint256;
    assert.ok(
      record.observations.some((seen) => seen.currentCa !== initial && seen.previousCa === initial),
    );
  });

  it('carries the old and the new CA in every caBundle', () => {
    const initial = record.initialCa.fingerprint256;
    const both = record.observations.find(
      (seen) =>
        seen.currentCa !== initial &&
        seen.caBundles.every(
          (bundle) => bundle.includes(initial) && bundle.includes(seen.currentCa as string),
        ),
    );
    assert.notEqual(both, undefined);
  });

  it('judges every deletion during the rotation', () => {
    assert.ok(record.deletions >= 20, `only ${record.deletions} deletions`);
    assert.deepEqual(record.failures, []);
  });

  it('drops the expired CA from the caBundle and the Secret', () => {
    const last = record.observations.at(-1) as Observation;
    const initial = record.initialCa.fingerprint256;
    assert.ok(
      last.caBundles.every((bundle) => !bundle.includes(initial)),
      JSON.stringify(last),
    );
    assert.equal(last.previousCa, undefined);
  });

  it('keeps both replicas running', () => {
    assert.deepEqual(
      serves.map((serve) => serve.child.exitCode),
      [null, null],
    );
  });
});

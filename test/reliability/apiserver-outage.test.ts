// The API server stops while the webhook is deciding, then comes back. The
// same app, never restarted, must deny with a clear reason while it cannot
// count InferencePools, and allow and deny correctly once the API server is
// back. Runs on a control plane of its own, since it stops the API server.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdmissionregistrationV1Api, KubeConfig } from '@kubernetes/client-node';
import { loadBuiltInBundle } from '../../src/crds/bundle.ts';
import { installBundle } from '../../src/crds/installer.ts';
import { createClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/logger.ts';
import type { ControlPlane } from '../controlplane/controlplane.ts';
import { loadReview } from '../admission/fixtures.ts';
import { startPrivateControlPlane, type TestCluster } from '../support/cluster.ts';
import { createInferencePool, ensureNamespace, inferenceGroup, readCrd } from '../support/crds.ts';
import { kubectl } from '../support/kubectl.ts';
import { listPools, postBody, startGuardServer, type GuardServer } from './support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const namespace = 'reliability-outage';
const configurationName = 'reliability-outage';
const poolCrd = `inferencepools.${inferenceGroup}`;
// Short, so that lookups against a stopping API server give up quickly.
const lookupTimeoutMs = 2000;
const recoveryDeadlineMs = 60_000;

let controlPlane: ControlPlane;
let cluster: TestCluster;
let server: GuardServer;
let poolsAtStart: string[];

const installOptions = {
  skipIfExists: false,
  keepOnUninstall: true,
  allowDowngrade: false,
  establishTimeoutMs: 60_000,
  connectTimeoutMs: 60_000,
  requestTimeoutMs: 10_000,
};

before(async () => {
  controlPlane = await startPrivateControlPlane();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(controlPlane.kubeconfigPath);
  cluster = {
    kubeconfigPath: controlPlane.kubeconfigPath,
    binDir: controlPlane.binDir,
    kubeConfig,
  };
  const bundle = await loadBuiltInBundle();
  await installBundle(createClients(kubeConfig), bundle, installOptions, createLogger('silent'));
  await ensureNamespace(cluster, namespace);
  poolsAtStart = await listPools(kubeConfig);
  server = await startGuardServer(kubeConfig, lookupTimeoutMs);
});

after(async () => {
  await deleteConfiguration();
  await server?.close();
});

async function deleteConfiguration(): Promise<void> {
  const admission = cluster?.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  await admission
    ?.deleteValidatingWebhookConfiguration({ name: configurationName })
    .catch(() => undefined);
}

/** Sends the review kube-apiserver sends for `kubectl delete crd` of the v1 InferencePool CRD. */
async function decideProtected(): Promise<Json> {
  const review = loadReview('delete-inferencepool-crd');
  review.request.uid = randomUUID();
  const body = Buffer.from(JSON.stringify(review));
  const reply = await postBody(server, { body, contentType: 'application/json' });
  assert.equal(reply.statusCode, 200, reply.text);
  const decoded = JSON.parse(reply.text);
  assert.equal(decoded.response.uid, review.request.uid);
  return decoded.response;
}

/** Repeats the protected decision until `done` accepts it; returns the last response. */
async function decideUntil(done: (response: Json) => boolean): Promise<Json> {
  const deadline = Date.now() + recoveryDeadlineMs;
  let response = await decideProtected();
  while (!done(response) && Date.now() < deadline) {
    await sleep(250);
    response = await decideProtected();
  }
  return response;
}

/** Registers the app as the API server's webhook for CRD deletion. */
async function registerWebhook(): Promise<void> {
  const admission = cluster.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const rule = {
    apiGroups: ['apiextensions.k8s.io'],
    apiVersions: ['v1'],
    operations: ['DELETE'],
    resources: ['customresourcedefinitions'],
  };
  const caBundle = Buffer.from(server.ca).toString('base64');
  const webhook = {
    name: 'crd-deletion-guard.reliability.test',
    clientConfig: { url: `https://127.0.0.1:${server.port}/validate`, caBundle },
    rules: [rule],
    failurePolicy: 'Fail',
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    timeoutSeconds: 10,
  };
  await admission.createValidatingWebhookConfiguration({
    body: { metadata: { name: configurationName }, webhooks: [webhook] },
  });
}

describe('API server outage', () => {
  it('allows while no pools exist', async () => {
    // Right after the install, the API server may still respond 429 for the new CRDs.
    const response = await decideUntil((candidate) => candidate.allowed === true);
    assert.equal(response.allowed, true);
  });

  it('denies with 503 while the API server is down', async () => {
    await controlPlane.stopApiServer();
    const response = await decideProtected();
    assert.equal(response.allowed, false);
    assert.equal(response.status.code, 503);
    assert.equal(response.status.reason, 'ServiceUnavailable');
    assert.match(
      response.status.message,
      new RegExp(`could not check whether deleting CRD ${poolCrd}`),
    );
    assert.match(response.status.message, /InferencePool inference\.networking\.k8s\.io\/v1: \S/);
  });

  it('allows unrelated CRDs while the API server is down', async () => {
    const review = loadReview('delete-unrelated-crd');
    const reply = await postBody(server, {
      body: Buffer.from(JSON.stringify(review)),
      contentType: 'application/json',
    });
    assert.equal(JSON.parse(reply.text).response.allowed, true);
  });

  it('allows again once the API server is back', async () => {
    await controlPlane.startApiServer();
    const response = await decideUntil((candidate) => candidate.allowed === true);
    assert.equal(response.allowed, true);
  });

  it('denies with the count once a pool exists', async () => {
    await createInferencePool(cluster, inferenceGroup, namespace, 'keeper');
    const response = await decideProtected();
    assert.equal(response.allowed, false);
    assert.equal(response.status.code, 403);
    assert.ok(
      response.status.message.includes(`v1: 1 (${namespace}/keeper)`),
      response.status.message,
    );
  });

  it('denies every decision in flight as the API server stops', async () => {
    const codes = new Map<number, number>();
    let allowed = 0;
    let running = true;
    const worker = async () => {
      for (let sent = 0; running && sent < 5000; sent++) {
        const response = await decideProtected();
        if (response.allowed) allowed += 1;
        else codes.set(response.status.code, (codes.get(response.status.code) ?? 0) + 1);
      }
    };
    const stopMidway = async () => {
      await sleep(300);
      await controlPlane.stopApiServer();
      await sleep(1000);
      running = false;
    };
    await Promise.all([stopMidway(), ...Array.from({ length: 8 }, worker)]);
    assert.equal(allowed, 0);
    assert.deepEqual(
      [...codes.keys()].sort((a, b) => a - b),
      [403, 503],
    );
  });

  it('denies with the count again once the API server is back', async () => {
    await controlPlane.startApiServer();
    const response = await decideUntil((candidate) => candidate.status?.code === 403);
    assert.equal(response.status?.code, 403);
    assert.ok(
      response.status.message.includes(`v1: 1 (${namespace}/keeper)`),
      response.status.message,
    );
  });

  it('rejects kubectl delete crd through the API server', async () => {
    await registerWebhook();
    const result = await kubectl(cluster, ['delete', 'crd', poolCrd, '--wait=false']);
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /denied the request: CRD inferencepools\.inference\.networking\.k8s\.io is protected/,
    );
    assert.notEqual(await readCrd(cluster, poolCrd), undefined);
    await deleteConfiguration();
  });

  it('keeps every InferencePool', async () => {
    const expected = [...poolsAtStart, `${inferenceGroup} ${namespace}/keeper`].sort();
    assert.deepEqual(await listPools(cluster.kubeConfig), expected);
  });
});

// Valid reviews at high concurrency for a fixed time, with autocannon, over
// HTTPS to the webhook app with the production guard. No request may fail,
// time out or get another verdict than its shape calls for, and no connection
// may be dropped. Runs on a control plane of its own, so that the verdicts
// do not depend on what other test files left installed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, after, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import autocannon from 'autocannon';
import { loadBuiltInBundle } from '../../src/crds/bundle.ts';
import { installBundle } from '../../src/crds/installer.ts';
import { createClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/logger.ts';
import { loadReview, type ReviewFixture } from '../admission/fixtures.ts';
import { startPrivateControlPlane, type TestCluster } from '../support/cluster.ts';
import { createInferencePool, ensureNamespace, inferenceGroup } from '../support/crds.ts';
import { listPools, startGuardServer, type GuardServer } from './support.ts';

const namespace = 'reliability-load';
const connections = 64;
const durationS = 5;

/** The reviews sent in turn on every connection, and the verdict each must get. */
const shapes: readonly { fixture: ReviewFixture; allowed: boolean }[] = [
  { fixture: 'delete-unrelated-crd', allowed: true },
  { fixture: 'delete-inferencepool-crd', allowed: false },
  { fixture: 'delete-crd-keep-false', allowed: true },
];

let cluster: TestCluster;
let server: GuardServer;
let poolsAtStart: string[];

before(async () => {
  const controlPlane = await startPrivateControlPlane();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(controlPlane.kubeconfigPath);
  cluster = {
    kubeconfigPath: controlPlane.kubeconfigPath,
    binDir: controlPlane.binDir,
    kubeConfig,
  };
  const options = {
    skipIfExists: false,
    keepOnUninstall: true,
    allowDowngrade: false,
    establishTimeoutMs: 60_000,
    connectTimeoutMs: 60_000,
    requestTimeoutMs: 10_000,
  };
  await installBundle(
    createClients(kubeConfig),
    await loadBuiltInBundle(),
    options,
    createLogger('silent'),
  );
  await ensureNamespace(cluster, namespace);
  await createInferencePool(cluster, inferenceGroup, namespace, 'under-load');
  // listPools also waits out the 429s that new CRDs get for a moment, which
  // would otherwise turn the first denials into lookup failures.
  poolsAtStart = await listPools(kubeConfig);
  server = await startGuardServer(kubeConfig);
});

after(async () => {
  await server?.close();
});

interface Tally {
  readonly answered: Map<string, number>;
  readonly wrong: string[];
}

function requestsFor(tally: Tally): autocannon.Request[] {
  return shapes.map(({ fixture, allowed }) => {
    const review = loadReview(fixture);
    review.request.uid = randomUUID();
    return {
      method: 'POST',
      path: '/validate',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(review),
      onResponse: (status: number, text: string) => {
        const response = status === 200 ? JSON.parse(text).response : undefined;
        if (response?.uid !== review.request.uid || response.allowed !== allowed) {
          tally.wrong.push(`${fixture}: HTTP ${status} ${text.slice(0, 300)}`);
        }
        tally.answered.set(fixture, (tally.answered.get(fixture) ?? 0) + 1);
      },
    };
  });
}

describe('webhook under load', () => {
  const tally: Tally = { answered: new Map(), wrong: [] };
  let result: autocannon.Result;
  let handshakes = 0;

  before(async () => {
    server.app.server.on('secureConnection', () => (handshakes += 1));
    result = await autocannon({
      url: `https://127.0.0.1:${server.port}`,
      connections,
      duration: durationS,
      requests: requestsFor(tally),
    });
  });

  it('answers every shape', (t) => {
    t.diagnostic(`answered per shape: ${JSON.stringify(Object.fromEntries(tally.answered))}`);
    for (const { fixture } of shapes) assert.ok((tally.answered.get(fixture) ?? 0) > 0, fixture);
  });

  it('reports no errors or timeouts', () => {
    assert.equal(result.errors, 0);
    assert.equal(result.timeouts, 0);
  });

  it('returns 2xx for every review', () => {
    assert.equal(result.non2xx, 0);
  });

  it('returns the right verdict for every review', () => {
    assert.deepEqual(tally.wrong.slice(0, 5), []);
  });

  it('keeps one connection per client', () => {
    assert.equal(handshakes, connections);
  });

  it('keeps every InferencePool', async () => {
    assert.deepEqual(await listPools(cluster.kubeConfig), poolsAtStart);
  });
});

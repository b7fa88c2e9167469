// Thousands of fuzzed bodies over real HTTPS to the webhook app with the
// production guard. Every reply must be a JSON 4xx error or a well-formed
// AdmissionReview. No reply may be a 5xx or a dropped connection, and the
// server must stay up with its heap bounded. Set RELIABILITY_SEED to repeat a run.
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { loadReview } from '../admission/fixtures.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import { fuzzedBody, paddedReview, type Body } from './arbitraries.ts';
import { assertErrorBody, assertReview, requestUidOf } from './replies.ts';
import {
  exposeGc,
  fuzzSeed,
  listPools,
  postBody,
  startGuardServer,
  type GuardServer,
  type Reply,
} from './support.ts';

const seed = fuzzSeed();
const mixedRuns = 5000;
const mebibyte = 1024 * 1024;
// Fastify's body limit for /validate (src/server/validate.ts).
const bodyLimitBytes = 4 * mebibyte;
// The heap may grow this much over the run and still count as bounded.
const heapGrowthBoundBytes = 64 * mebibyte;

let cluster: TestCluster;
let server: GuardServer;
let agent: Agent;
let poolsAtStart: string[];
const gc = exposeGc();

before(async () => {
  cluster = await useCluster();
  poolsAtStart = await listPools(cluster.kubeConfig);
  server = await startGuardServer(cluster.kubeConfig);
  agent = new Agent({ keepAlive: true, maxSockets: 1 });
});

after(async () => {
  agent?.destroy();
  await server?.close();
});

/** Asserts that a reply is a JSON 4xx error, or a review for the body's uid. */
function assertWellFormed(body: Body, reply: Reply): void {
  const uid = requestUidOf(body.bytes);
  assert.match(reply.contentType, /^application\/json/);
  const decoded = JSON.parse(reply.text);
  if (reply.statusCode === 200) {
    assert.notEqual(uid, undefined, `a 200 answers a body with a request uid: ${reply.text}`);
    assertReview(decoded, uid as string);
    return;
  }
  assert.ok(
    reply.statusCode >= 400 && reply.statusCode < 500,
    `status ${reply.statusCode}: ${reply.text}`,
  );
  assertErrorBody(decoded);
}

async function send(body: Body, reuse: boolean): Promise<Reply> {
  return postBody(server, {
    body: body.bytes,
    contentType: body.contentType,
    ...(reuse ? { agent } : {}),
  });
}

describe('webhook over HTTPS under fuzzed bodies', () => {
  let heapBefore: number;

  before(() => {
    gc();
    heapBefore = process.memoryUsage().heapUsed;
  });

  it('prints the seed', (t) => {
    t.diagnostic(`fast-check seed ${seed}; repeat with RELIABILITY_SEED=${seed}`);
    assert.equal(Number.isInteger(seed), true);
  });

  it('answers every mixed body well-formed', async () => {
    const property = fc.asyncProperty(fuzzedBody, async (body) => {
      assertWellFormed(body, await send(body, true));
    });
    await fc.assert(property, { seed, numRuns: mixedRuns });
  });

  it('answers large reviews under the limit', async () => {
    const property = fc.asyncProperty(
      paddedReview(mebibyte, bodyLimitBytes - 64 * 1024),
      async (body) => {
        const reply = await send(body, true);
        assert.equal(reply.statusCode, 200, reply.text);
        assertWellFormed(body, reply);
      },
    );
    await fc.assert(property, { seed, numRuns: 10 });
  });

  it('answers oversized reviews with 413', async () => {
    const property = fc.asyncProperty(
      paddedReview(bodyLimitBytes, bodyLimitBytes + 2 * mebibyte),
      async (body) => {
        const reply = await send(body, false);
        assert.equal(reply.statusCode, 413, reply.text);
        assertErrorBody(JSON.parse(reply.text));
      },
    );
    await fc.assert(property, { seed, numRuns: 10 });
  });

  it('still answers a valid review afterwards', async () => {
    const body = { bytes: Buffer.from(JSON.stringify(loadReview('delete-unrelated-crd'))) };
    const reply = await send({ ...body, contentType: 'application/json' }, false);
    assert.equal(reply.statusCode, 200, reply.text);
  });

  it('keeps the heap bounded', () => {
    gc();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(growth < heapGrowthBoundBytes, `heap grew by ${Math.round(growth / mebibyte)} MiB`);
  });

  it('keeps every InferencePool', async () => {
    const pools = await listPools(cluster.kubeConfig);
    assert.deepEqual(pools, poolsAtStart);
  });
});

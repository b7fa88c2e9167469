// The guard function itself, called in-process with many more fuzzed values
// than the HTTPS test sends, including values JSON cannot carry. It must
// never reject, and its result must agree with parseAdmissionReview: 400
// with a JSON error for an invalid review, else 200 with a well-formed
// review for the request's uid. Set RELIABILITY_SEED to repeat a run.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createGuard, createObjectCounter } from '../../src/admission/handler.ts';
import { parseAdmissionReview } from '../../src/admission/parse.ts';
import { loadBuiltInBundle } from '../../src/crds/bundle.ts';
import { createClients } from '../../src/kube/client.ts';
import { createLogger } from '../../src/logger.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import { mutatedReview, validReview } from './arbitraries.ts';
import { assertErrorBody, assertReview } from './replies.ts';
import { fuzzSeed, listPools } from './support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const seed = fuzzSeed();
const runs = 10_000;

let cluster: TestCluster;
let guard: ReturnType<typeof createGuard>;
let poolsAtStart: string[];

before(async () => {
  cluster = await useCluster();
  poolsAtStart = await listPools(cluster.kubeConfig);
  const lookup = createObjectCounter(createClients(cluster.kubeConfig));
  const bundle = await loadBuiltInBundle();
  guard = createGuard({ bundle, lookup, lookupTimeoutMs: 10_000, logger: createLogger('silent') });
});

/** Any JavaScript value, with the containers and primitives JSON lacks. */
const anyValue = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
});

/** A review whose request is replaced by, or merged with, any value. */
const strangeRequest = fc
  .tuple(validReview, anyValue, fc.boolean())
  .map(([review, value, merge]) => {
    const mergeable = merge && typeof value === 'object' && value !== null;
    review.request = mergeable ? Object.assign(review.request, value) : value;
    return review;
  });

const body = fc.oneof(
  { weight: 4, arbitrary: anyValue },
  { weight: 8, arbitrary: mutatedReview },
  { weight: 3, arbitrary: strangeRequest },
  { weight: 1, arbitrary: validReview },
);

describe('guard under fuzzed values', () => {
  it('prints the seed', (t) => {
    t.diagnostic(`fast-check seed ${seed}; repeat with RELIABILITY_SEED=${seed}`);
    assert.equal(Number.isInteger(seed), true);
  });

  it('answers every value as parse dictates', async (t) => {
    let internalErrors = 0;
    const property = fc.asyncProperty(body, async (value) => {
      const parsed = parseAdmissionReview(value);
      const result = await guard(value);
      if (!parsed.ok) {
        assert.equal(result.statusCode, 400);
        assertErrorBody(result.body);
        return;
      }
      assert.equal(result.statusCode, 200);
      assertReview(result.body, parsed.request.uid);
      if ((result.body as Json).response.status?.reason === 'InternalError') internalErrors += 1;
    });
    await fc.assert(property, { seed, numRuns: runs });
    // Malformed fields of a valid review must be handled, not reach the
    // guard's last-resort InternalError denial.
    t.diagnostic(`${internalErrors} of ${runs} values were denied as internal errors`);
    assert.equal(internalErrors, 0);
  });

  it('keeps every InferencePool', async () => {
    assert.deepEqual(await listPools(cluster.kubeConfig), poolsAtStart);
  });
});

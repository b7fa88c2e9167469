import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decideDeletion } from '../../src/admission/decision.ts';
import type { LookupResult, ObjectCount, ObjectType } from '../../src/admission/objects.ts';
import { lookupsFor } from '../../src/admission/plan.ts';
import type { AdmissionRequest } from '../../src/admission/review.ts';
import { loadBuiltInBundle, type Bundle } from '../../src/crds/bundle.ts';
import { keepOnUninstallAnnotation } from '../../src/crds/metadata.ts';
import { loadRequest, loadReview, parseReviewBody } from './fixtures.ts';

const poolCrd = 'inferencepools.inference.networking.k8s.io';
const objectivesCrd = 'inferenceobjectives.inference.networking.x-k8s.io';
const none: ObjectCount = { count: 0, exact: true, examples: [] };

let bundle: Bundle;

before(async () => {
  bundle = await loadBuiltInBundle();
});

function poolsIn(count: number, exact = true): ObjectCount {
  const examples = [
    { namespace: 'team-a', name: 'llama' },
    { namespace: 'team-b', name: 'qwen' },
  ].slice(0, count);
  return { count, exact, examples };
}

/** Returns a result for every type the request needs: `counts` by plural.group, else zero. */
function resultsFor(
  request: AdmissionRequest,
  counts: Record<string, ObjectCount | Error>,
): LookupResult[] {
  return lookupsFor(request, bundle).map((type: ObjectType) => {
    const value = counts[`${type.plural}.${type.group}`] ?? none;
    if (value instanceof Error) return { type, ok: false, error: value.message };
    return { type, ok: true, count: value };
  });
}

function protectedObjectivesRequest(): AdmissionRequest {
  const review = loadReview('delete-crd-keep-false');
  review.request.oldObject.metadata.annotations[keepOnUninstallAnnotation] = 'true';
  return parseReviewBody(review);
}

describe('decideDeletion', () => {
  it('allows an unrelated CRD', () => {
    const request = loadRequest('delete-unrelated-crd');
    const decision = decideDeletion({ request, bundle, results: [] });
    assert.deepEqual(decision, { verdict: 'allowed', reason: 'not-guarded' });
  });

  it('allows an UPDATE of a bundle CRD', () => {
    const request = loadRequest('update-inferencepool-crd');
    const decision = decideDeletion({ request, bundle, results: [] });
    assert.deepEqual(decision, { verdict: 'allowed', reason: 'not-guarded' });
  });

  it('allows a CRD annotated keep-on-uninstall false', () => {
    const request = loadRequest('delete-crd-keep-false');
    const decision = decideDeletion({ request, bundle, results: [] });
    assert.deepEqual(decision, {
      verdict: 'allowed',
      reason: 'protection-disabled',
      crd: objectivesCrd,
    });
  });

  it('allows a protected CRD when nothing exists', () => {
    const request = loadRequest('delete-inferencepool-crd');
    const decision = decideDeletion({ request, bundle, results: resultsFor(request, {}) });
    assert.deepEqual(decision, { verdict: 'allowed', reason: 'no-objects', crd: poolCrd });
  });

  it('denies while v1 InferencePools exist', () => {
    const request = loadRequest('delete-inferencepool-crd');
    const results = resultsFor(request, { [poolCrd]: poolsIn(2) });
    const decision = decideDeletion({ request, bundle, results });
    assert.equal(decision.verdict, 'denied');
    assert.equal(decision.reason, 'objects-exist');
    assert.equal(decision.crd, poolCrd);
    assert.equal(decision.status?.code, 403);
    assert.equal(decision.status?.reason, 'Forbidden');
    assert.match(decision.status?.message ?? '', /inference\.networking\.k8s\.io\/v1: 2 /);
  });

  it('denies the v1 CRD while only alpha InferencePools exist', () => {
    const request = loadRequest('delete-inferencepool-crd');
    const results = resultsFor(request, {
      'inferencepools.inference.networking.x-k8s.io': poolsIn(1),
    });
    const decision = decideDeletion({ request, bundle, results });
    assert.equal(decision.verdict, 'denied');
    assert.match(decision.status?.message ?? '', /x-k8s\.io\/v1alpha2: 1 \(team-a\/llama\)/);
  });

  it('denies the alpha CRD while only v1 InferencePools exist', () => {
    const request = loadRequest('delete-alpha-inferencepool-crd');
    const results = resultsFor(request, { [poolCrd]: poolsIn(1) });
    const decision = decideDeletion({ request, bundle, results });
    assert.equal(decision.verdict, 'denied');
    assert.equal(decision.crd, 'inferencepools.inference.networking.x-k8s.io');
  });

  it('denies while the CRD own objects exist', () => {
    const request = protectedObjectivesRequest();
    const results = resultsFor(request, { [objectivesCrd]: poolsIn(2) });
    const decision = decideDeletion({ request, bundle, results });
    assert.equal(decision.verdict, 'denied');
    assert.match(decision.status?.message ?? '', /InferenceObjective inference\.networking/);
  });

  it('denies on a lower-bound count', () => {
    const request = loadRequest('delete-inferencepool-crd');
    const results = resultsFor(request, { [poolCrd]: poolsIn(2, false) });
    const decision = decideDeletion({ request, bundle, results });
    assert.equal(decision.verdict, 'denied');
    assert.match(decision.status?.message ?? '', /: at least 2 /);
  });

  it('denies with 503 when a count failed', () => {
    const request = loadRequest('delete-inferencepool-crd');
    const results = resultsFor(request, { [poolCrd]: new Error('connection refused') });
    const decision = decideDeletion({ request, bundle, results });
    assert.equal(decision.verdict, 'error');
    assert.equal(decision.reason, 'lookup-failed');
    assert.equal(decision.status?.code, 503);
    assert.equal(decision.status?.reason, 'ServiceUnavailable');
    assert.match(decision.status?.message ?? '', /connection refused/);
  });

  it('denies with 403 when objects exist and a count failed', () => {
    const request = loadRequest('delete-inferencepool-crd');
    const results = resultsFor(request, {
      [poolCrd]: poolsIn(1),
      'inferencepools.inference.networking.x-k8s.io': new Error('timed out'),
    });
    const decision = decideDeletion({ request, bundle, results });
    assert.equal(decision.status?.code, 403);
    assert.match(decision.status?.message ?? '', /could not be counted/);
  });

  it('treats a type without a result as failed', () => {
    const request = loadRequest('delete-inferencepool-crd');
    const results = resultsFor(request, {}).slice(1);
    const decision = decideDeletion({ request, bundle, results });
    assert.equal(decision.verdict, 'error');
    assert.match(decision.status?.message ?? '', /not counted/);
  });

  it('ignores a result for another version', () => {
    const request = loadRequest('delete-inferencepool-crd');
    const results = resultsFor(request, {}).map((result) =>
      result.type.group === 'inference.networking.k8s.io'
        ? { ...result, type: { ...result.type, version: 'v9' } }
        : result,
    );
    const decision = decideDeletion({ request, bundle, results });
    assert.equal(decision.verdict, 'error');
  });

  it('denies without oldObject while pools exist', () => {
    const review = loadReview('delete-inferencepool-crd');
    delete review.request.oldObject;
    const request = parseReviewBody(review);
    const results = resultsFor(request, { [poolCrd]: poolsIn(1) });
    assert.equal(decideDeletion({ request, bundle, results }).verdict, 'denied');
  });

  it('gives a dry run the same verdict', () => {
    const counts = { [poolCrd]: poolsIn(2) };
    const real = loadRequest('delete-inferencepool-crd');
    const dryRun = loadRequest('delete-inferencepool-crd-dry-run');
    const realResults = resultsFor(real, counts);
    const dryResults = resultsFor(dryRun, counts);
    const realDecision = decideDeletion({ request: real, bundle, results: realResults });
    const dryDecision = decideDeletion({ request: dryRun, bundle, results: dryResults });
    assert.deepEqual(dryDecision, realDecision);
  });
});

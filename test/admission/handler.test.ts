import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { before, describe, it } from 'node:test';
import {
  createGuard,
  type DecisionEvent,
  type GuardDependencies,
  type ObjectCounter,
} from '../../src/admission/handler.ts';
import type { CountOptions } from '../../src/admission/lookup.ts';
import type { ObjectCount, ObjectType } from '../../src/admission/objects.ts';
import { loadBuiltInBundle, type Bundle } from '../../src/crds/bundle.ts';
import { createLogger } from '../../src/logger.ts';
import { loadReview, type ReviewFixture } from './fixtures.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const poolCrd = 'inferencepools.inference.networking.k8s.io';

let bundle: Bundle;

before(async () => {
  bundle = await loadBuiltInBundle();
});

/** An in-process ObjectCounter that returns counts by plural.group and records its calls. */
class FakeCounter implements ObjectCounter {
  readonly calls: ObjectType[] = [];
  readonly options: CountOptions[] = [];
  readonly answers: Record<string, () => Promise<ObjectCount>> = {};

  count(type: ObjectType, options: CountOptions): Promise<ObjectCount> {
    this.calls.push(type);
    this.options.push(options);
    const answer = this.answers[`${type.plural}.${type.group}`];
    if (answer === undefined) return Promise.resolve({ count: 0, exact: true, examples: [] });
    return answer();
  }
}

interface Harness {
  readonly guard: (body: unknown) => Promise<{ statusCode: number; body: Json }>;
  readonly counter: FakeCounter;
  readonly logs: Json[];
  readonly events: DecisionEvent[];
}

function harness(overrides: Partial<GuardDependencies> = {}): Harness {
  const logs: Json[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const counter = new FakeCounter();
  const events: DecisionEvent[] = [];
  const guard = createGuard({
    bundle,
    lookup: counter,
    lookupTimeoutMs: 1000,
    logger: createLogger('debug', destination),
    onDecision: (event) => events.push(event),
    ...overrides,
  });
  return { guard: guard as Harness['guard'], counter, logs, events };
}

function pools(count: number): () => Promise<ObjectCount> {
  const examples = [{ namespace: 'team-a', name: 'llama' }];
  return () => Promise.resolve({ count, exact: true, examples });
}

/** Returns the decision line; pino writes each line to the Writable as it logs it. */
function decisionLine(logs: Json[]): Json {
  return logs.find((line) => line.msg === 'admission decision');
}

async function review(h: Harness, fixture: ReviewFixture): Promise<Json> {
  return (await h.guard(loadReview(fixture))).body;
}

describe('createGuard', () => {
  it('allows an unrelated CRD without lookups', async () => {
    const h = harness();
    const result = await h.guard(loadReview('delete-unrelated-crd'));
    assert.equal(result.statusCode, 200);
    assert.equal(result.body.response.allowed, true);
    assert.equal(h.counter.calls.length, 0);
  });

  it('allows an UPDATE without lookups', async () => {
    const h = harness();
    assert.equal((await review(h, 'update-inferencepool-crd')).response.allowed, true);
    assert.equal(h.counter.calls.length, 0);
  });

  it('allows keep-on-uninstall false without lookups', async () => {
    const h = harness();
    h.counter.answers[poolCrd] = pools(3);
    assert.equal((await review(h, 'delete-crd-keep-false')).response.allowed, true);
    assert.equal(h.counter.calls.length, 0);
  });

  it('allows a protected CRD when no objects exist', async () => {
    const h = harness();
    assert.equal((await review(h, 'delete-inferencepool-crd')).response.allowed, true);
    assert.equal(h.counter.calls.length, 2);
  });

  it('returns a well-formed AdmissionReview', async () => {
    const h = harness();
    const fixture = loadReview('delete-unrelated-crd');
    const result = await h.guard(fixture);
    assert.deepEqual(result.body, {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: fixture.request.uid, allowed: true },
    });
  });

  it('denies with 403 while pools exist', async () => {
    const h = harness();
    h.counter.answers[poolCrd] = pools(7);
    const fixture = loadReview('delete-inferencepool-crd');
    const { statusCode, body } = await h.guard(fixture);
    assert.equal(statusCode, 200);
    assert.equal(body.response.uid, fixture.request.uid);
    assert.equal(body.response.allowed, false);
    assert.equal(body.response.status.status, 'Failure');
    assert.equal(body.response.status.code, 403);
    assert.equal(body.response.status.reason, 'Forbidden');
    assert.match(body.response.status.message, /k8s\.io\/v1: 7 \(team-a\/llama, \.\.\.\)/);
  });

  it('asks for three examples within the timeout', async () => {
    const h = harness();
    await review(h, 'delete-inferencepool-crd');
    assert.deepEqual(h.counter.options[0], { limit: 3, timeoutMs: 1000 });
  });

  it('denies with 503 when a lookup fails', async () => {
    const h = harness();
    h.counter.answers[poolCrd] = () => Promise.reject(new Error('connect ECONNREFUSED'));
    const body = await review(h, 'delete-inferencepool-crd');
    assert.equal(body.response.allowed, false);
    assert.equal(body.response.status.code, 503);
    assert.equal(body.response.status.reason, 'ServiceUnavailable');
    assert.match(body.response.status.message, /connect ECONNREFUSED/);
  });

  it('denies with 503 when a lookup hangs', async () => {
    const h = harness({ lookupTimeoutMs: 50 });
    h.counter.answers[poolCrd] = () => new Promise<ObjectCount>(() => {});
    const body = await review(h, 'delete-inferencepool-crd');
    assert.equal(body.response.status.code, 503);
    assert.match(body.response.status.message, /timed out after 50 ms waiting for the API server/);
  });

  it('gives a dry run the same verdict', async () => {
    const h = harness();
    h.counter.answers[poolCrd] = pools(2);
    const real = await review(h, 'delete-inferencepool-crd');
    const dryRun = await review(h, 'delete-inferencepool-crd-dry-run');
    assert.deepEqual({ ...dryRun.response, uid: '' }, { ...real.response, uid: '' });
  });

  it('rejects an invalid body with 400', async () => {
    const h = harness();
    const fixture = loadReview('delete-inferencepool-crd');
    fixture.request.uid = 7;
    const result = await h.guard(fixture);
    assert.equal(result.statusCode, 400);
    assert.deepEqual(result.body, {
      error: 'invalid admission review',
      message: 'request.uid must be a non-empty string, got number',
    });
    assert.equal(h.counter.calls.length, 0);
  });

  it('rejects a null body with 400', async () => {
    const h = harness();
    assert.equal((await h.guard(null)).statusCode, 400);
  });

  it('reports every decision to onDecision', async () => {
    const h = harness();
    h.counter.answers[poolCrd] = pools(1);
    await review(h, 'delete-unrelated-crd');
    await review(h, 'delete-inferencepool-crd');
    await h.guard('not a review');
    const summary = h.events.map(({ verdict, reason, crd }) => ({ verdict, reason, crd }));
    assert.deepEqual(summary, [
      { verdict: 'allowed', reason: 'not-guarded', crd: undefined },
      { verdict: 'denied', reason: 'objects-exist', crd: poolCrd },
      { verdict: 'invalid', reason: 'invalid-review', crd: undefined },
    ]);
    assert.ok(h.events.every((event) => typeof event.durationMs === 'number'));
  });

  it('survives an onDecision that throws', async () => {
    const h = harness({
      onDecision: () => {
        throw new Error('metrics broke');
      },
    });
    const body = await review(h, 'delete-inferencepool-crd');
    assert.equal(body.response.allowed, true);
  });

  it('turns an unexpected exception into a 500 review', async () => {
    const broken = {
      version: 'v1.3.0',
      source: 'broken',
      get crds(): never {
        throw new Error('bundle unreadable');
      },
    };
    const h = harness({ bundle: broken as unknown as Bundle });
    const fixture = loadReview('delete-inferencepool-crd');
    const { statusCode, body } = await h.guard(fixture);
    assert.equal(statusCode, 200);
    assert.equal(body.kind, 'AdmissionReview');
    assert.equal(body.response.uid, fixture.request.uid);
    assert.equal(body.response.allowed, false);
    assert.equal(body.response.status.code, 500);
    assert.equal(body.response.status.reason, 'InternalError');
    assert.match(body.response.status.message, /bundle unreadable/);
    assert.equal(h.events[0]?.verdict, 'error');
  });
});

describe('createGuard options', () => {
  for (const lookupTimeoutMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`rejects lookupTimeoutMs ${lookupTimeoutMs}`, () => {
      const message = new RegExp(`positive number of milliseconds, got ${lookupTimeoutMs}$`);
      assert.throws(() => harness({ lookupTimeoutMs }), { name: 'TypeError', message });
    });
  }
});

describe('createGuard logging', () => {
  it('binds the request to the decision line', async () => {
    const h = harness();
    const fixture = loadReview('delete-inferencepool-crd-dry-run');
    await h.guard(fixture);
    const line = decisionLine(h.logs);
    assert.equal(line.uid, fixture.request.uid);
    assert.equal(line.resource, 'customresourcedefinitions.apiextensions.k8s.io');
    assert.equal(line.name, poolCrd);
    assert.equal(line.operation, 'DELETE');
    assert.equal(line.user, 'admin');
    assert.equal(line.dryRun, true);
  });

  it('logs verdict, reason, crd, duration and counts', async () => {
    const h = harness();
    h.counter.answers[poolCrd] = pools(4);
    await review(h, 'delete-inferencepool-crd');
    const line = decisionLine(h.logs);
    assert.equal(line.level, 'info');
    assert.equal(line.verdict, 'denied');
    assert.equal(line.reason, 'objects-exist');
    assert.equal(line.crd, poolCrd);
    assert.equal(typeof line.durationMs, 'number');
    assert.deepEqual(line.counts, {
      'inferencepools.inference.networking.k8s.io/v1': 4,
      'inferencepools.inference.networking.x-k8s.io/v1alpha2': 0,
    });
  });

  it('logs an unrelated request at debug', async () => {
    const h = harness();
    await review(h, 'delete-unrelated-crd');
    assert.equal(decisionLine(h.logs).level, 'debug');
  });

  it('logs disabled protection at info', async () => {
    const h = harness();
    await review(h, 'delete-crd-keep-false');
    const line = decisionLine(h.logs);
    assert.equal(line.level, 'info');
    assert.equal(line.reason, 'protection-disabled');
  });

  it('denies and logs an oldObject of another CRD', async () => {
    const h = harness();
    h.counter.answers[poolCrd] = pools(2);
    const body = loadReview('delete-inferencepool-crd');
    body.request.oldObject = loadReview('delete-crd-keep-false').request.oldObject;
    const reply = (await h.guard(body)).body;
    assert.equal(reply.response.allowed, false);
    const ignored = h.logs.find((line) => line.msg === 'oldObject names another object, ignored');
    assert.equal(ignored?.level, 'warn');
    assert.equal(ignored?.oldObjectName, 'inferenceobjectives.inference.networking.x-k8s.io');
    assert.equal(ignored?.name, poolCrd);
  });

  it('logs a failed lookup at warn with err', async () => {
    const h = harness();
    h.counter.answers[poolCrd] = () => Promise.reject(new Error('connect ECONNREFUSED'));
    await review(h, 'delete-inferencepool-crd');
    const failure = h.logs.find((line) => line.msg === 'object lookup failed');
    assert.equal(failure.level, 'warn');
    assert.equal(failure.err.message, 'connect ECONNREFUSED');
    assert.equal(failure.group, 'inference.networking.k8s.io');
    assert.equal(decisionLine(h.logs).level, 'warn');
  });

  it('logs an invalid review at info', async () => {
    const h = harness();
    await h.guard([]);
    const line = h.logs.find((entry) => entry.msg === 'invalid admission review');
    assert.equal(line.level, 'info');
    assert.equal(line.reason, 'body must be a JSON object, got array');
  });
});

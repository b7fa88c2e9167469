import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildApp } from '../../src/server/app.ts';
import { createReadinessState, type ReadinessState } from '../../src/server/readiness.ts';
import { reviewBodyLimitBytes, type AdmissionGuard } from '../../src/server/validate.ts';
import { captureLogs } from './log-capture.ts';

const review = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'b7a0c8e2-5f0e-4d9b-9a55-0d6c3f1f2a10', operation: 'DELETE', name: 'inferencepools.inference.networking.k8s.io' },
};

// A guard that records what it receives and allows every request.
function recordingGuard(): { guard: AdmissionGuard; received: unknown[] } {
  const received: unknown[] = [];
  const guard: AdmissionGuard = async (body) => {
    received.push(body);
    const uid = (body as typeof review).request.uid;
    return { statusCode: 200, body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } } };
  };
  return { guard, received };
}

function setup(guard: AdmissionGuard = recordingGuard().guard, readiness?: ReadinessState) {
  const logs = captureLogs();
  const state = readiness ?? createReadinessState(logs.logger);
  return { app: buildApp({ guard, readiness: state, logger: logs.logger }), logs, readiness: state };
}

describe('POST /validate', () => {
  it('passes the parsed review to the guard', async () => {
    const { guard, received } = recordingGuard();
    const { app } = setup(guard);
    const response = await app.inject({ method: 'POST', url: '/validate', payload: review });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(received, [review]);
    assert.deepEqual(response.json(), {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: review.request.uid, allowed: true },
    });
  });

  it('sends the guard status code and body', async () => {
    const guard: AdmissionGuard = async () => ({ statusCode: 400, body: { error: 'Bad Request', message: 'not a review' } });
    const { app } = setup(guard);
    const response = await app.inject({ method: 'POST', url: '/validate', payload: { kind: 'Pod' } });
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), { error: 'Bad Request', message: 'not a review' });
  });

  it('accepts application/json with a charset', async () => {
    const { app } = setup();
    const response = await app.inject({
      method: 'POST',
      url: '/validate',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      payload: JSON.stringify(review),
    });
    assert.equal(response.statusCode, 200);
  });

  it('rejects text/plain with 415', async () => {
    const { guard, received } = recordingGuard();
    const { app } = setup(guard);
    const response = await app.inject({
      method: 'POST',
      url: '/validate',
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify(review),
    });
    assert.equal(response.statusCode, 415);
    assert.match(response.headers['content-type'] as string, /^application\/json/);
    assert.equal(response.json().error, 'Unsupported Media Type');
    assert.match(response.json().message, /text\/plain.*application\/json/);
    assert.equal(received.length, 0);
  });

  it('rejects a body without content type with 415', async () => {
    const { app } = setup();
    const response = await app.inject({ method: 'POST', url: '/validate', payload: Buffer.from(JSON.stringify(review)) });
    assert.equal(response.statusCode, 415);
    assert.equal(response.json().error, 'Unsupported Media Type');
  });

  it('rejects malformed JSON with 400', async () => {
    const { app } = setup();
    const response = await app.inject({
      method: 'POST',
      url: '/validate',
      headers: { 'content-type': 'application/json' },
      payload: '{"kind": "AdmissionReview", "request": {',
    });
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), {
      error: 'Bad Request',
      message: 'request body is not valid JSON; send an AdmissionReview as JSON',
    });
  });

  it('rejects an empty JSON body with 400', async () => {
    const { app } = setup();
    const response = await app.inject({
      method: 'POST',
      url: '/validate',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.json().message, /empty/);
  });

  it('rejects a body over the limit with 413', async () => {
    const { guard, received } = recordingGuard();
    const { app } = setup(guard);
    const padding = 'x'.repeat(reviewBodyLimitBytes);
    const response = await app.inject({
      method: 'POST',
      url: '/validate',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ ...review, padding }),
    });
    assert.equal(response.statusCode, 413);
    assert.equal(response.json().error, 'Payload Too Large');
    assert.match(response.json().message, new RegExp(`${reviewBodyLimitBytes} bytes`));
    assert.equal(received.length, 0);
  });

  it('accepts a review of a 3 MiB object', async () => {
    const { guard, received } = recordingGuard();
    const { app } = setup(guard);
    const description = 'd'.repeat(3 * 1024 * 1024);
    const large = { ...review, request: { ...review.request, oldObject: { spec: { description } } } };
    const response = await app.inject({ method: 'POST', url: '/validate', payload: large });
    assert.equal(response.statusCode, 200);
    assert.equal(received.length, 1);
  });

  it('answers a throwing guard with a denying review', async () => {
    const guard: AdmissionGuard = async () => {
      throw new Error('lookup exploded');
    };
    const { app, logs } = setup(guard);
    const response = await app.inject({ method: 'POST', url: '/validate', payload: review });
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(body.kind, 'AdmissionReview');
    assert.equal(body.response.uid, review.request.uid);
    assert.equal(body.response.allowed, false);
    assert.equal(body.response.status.code, 500);
    const logged = logs.lines.find((line) => line.msg === 'deletion guard failed');
    assert.equal(logged?.level, 'error');
  });

  it('logs a rejected request at info level', async () => {
    const { app, logs } = setup();
    await app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'text/plain' }, payload: 'x' });
    const rejected = logs.lines.find((line) => line.msg === 'request rejected');
    assert.equal(rejected?.level, 'info');
    assert.equal(rejected?.statusCode, 415);
  });
});

describe('routing', () => {
  it('answers an unknown path with a JSON 404', async () => {
    const { app } = setup();
    const response = await app.inject({ method: 'GET', url: '/mutate' });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().error, 'Not Found');
    assert.match(response.json().message, /GET \/mutate/);
  });

  it('answers GET /validate with a JSON 404', async () => {
    const { app } = setup();
    const response = await app.inject({ method: 'GET', url: '/validate' });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().error, 'Not Found');
  });
});

describe('probes', () => {
  it('healthz passes before anything is ready', async () => {
    const { app } = setup();
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
  });

  it('readyz lists every failing check at start', async () => {
    const { app } = setup();
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(response.statusCode, 503);
    const checks = (response.json().notReady as { check: string }[]).map((item) => item.check);
    assert.deepEqual(checks, ['bundle', 'tls', 'caBundle']);
  });

  it('readyz passes once every check passes', async () => {
    const { app, readiness } = setup();
    readiness.set('bundle', true);
    readiness.set('tls', true);
    let response = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(response.statusCode, 503);
    assert.deepEqual(response.json().notReady, [{ check: 'caBundle', reason: 'webhook configuration caBundle not checked yet' }]);

    readiness.set('caBundle', true);
    response = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ready' });
  });

  it('readyz reports the reason of a failing check', async () => {
    const { app, readiness } = setup();
    readiness.set('bundle', true);
    readiness.set('tls', true);
    readiness.set('caBundle', false, 'ValidatingWebhookConfiguration guard not found');
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    assert.deepEqual(response.json().notReady, [{ check: 'caBundle', reason: 'ValidatingWebhookConfiguration guard not found' }]);
  });

  it('readyz fails for good after shutdown starts', async () => {
    const { app, readiness } = setup();
    for (const check of ['bundle', 'tls', 'caBundle'] as const) readiness.set(check, true);
    readiness.markShuttingDown();
    readiness.set('bundle', true);
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(response.statusCode, 503);
    assert.deepEqual(response.json().notReady, [{ check: 'shutdown', reason: 'server is shutting down' }]);
  });

  it('readyz fails again when a check regresses', async () => {
    const { app, readiness } = setup();
    for (const check of ['bundle', 'tls', 'caBundle'] as const) readiness.set(check, true);
    readiness.set('caBundle', false, 'caBundle was overwritten');
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(response.statusCode, 503);
  });

  it('probes leave no request logs', async () => {
    const { app, logs } = setup();
    await app.inject({ method: 'GET', url: '/healthz' });
    await app.inject({ method: 'GET', url: '/readyz?verbose=1' });
    const requestLogs = logs.lines.filter((line) => line.msg === 'incoming request' || line.msg === 'request completed');
    assert.equal(requestLogs.length, 0);
  });

  it('validate requests are logged', async () => {
    const { app, logs } = setup();
    await app.inject({ method: 'POST', url: '/validate', payload: review });
    const messages = logs.lines.map((line) => line.msg);
    assert.ok(messages.includes('incoming request'));
    assert.ok(messages.includes('request completed'));
  });
});

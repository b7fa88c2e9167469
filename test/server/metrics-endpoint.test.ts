import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { buildApp } from '../../src/server/app.ts';
import { startMetricsServer, type MetricsServer } from '../../src/server/metrics-endpoint.ts';
import { createReadinessState } from '../../src/server/readiness.ts';
import type { AdmissionGuard } from '../../src/server/validate.ts';
import { captureLogs } from './log-capture.ts';

const unusedGuard: AdmissionGuard = async () => ({ statusCode: 500, body: {} });
const crd = 'inferencepools.inference.networking.k8s.io';
const deniedLabels = `verdict="denied",reason="objects-exist",crd="${crd.replaceAll('.', '\\.')}"`;

function get(
  port: number,
  path: string,
): Promise<{ statusCode: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          statusCode: res.statusCode ?? 0,
          contentType: String(res.headers['content-type']),
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /metrics on the webhook app', () => {
  it('renders the registry in the Prometheus text format', async () => {
    const metrics = createMetrics({ collectProcess: false });
    metrics.recordDecision({ verdict: 'denied', reason: 'objects-exist', crd, durationMs: 4 });
    const logs = captureLogs();
    const app = buildApp({
      guard: unusedGuard,
      readiness: createReadinessState(logs.logger),
      logger: logs.logger,
      metrics: metrics.registry,
    });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(
      response.body,
      new RegExp(`^inference_crds_admission_requests_total\\{${deniedLabels}\\} 1$`, 'm'),
    );
  });

  it('logs no request line for a scrape', async () => {
    const logs = captureLogs();
    const metrics = createMetrics({ collectProcess: false });
    const app = buildApp({
      guard: unusedGuard,
      readiness: createReadinessState(logs.logger),
      logger: logs.logger,
      metrics: metrics.registry,
    });
    await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(logs.lines.filter((line) => line.msg === 'incoming request').length, 0);
  });

  it('is absent without a registry', async () => {
    const logs = captureLogs();
    const app = buildApp({
      guard: unusedGuard,
      readiness: createReadinessState(logs.logger),
      logger: logs.logger,
    });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(response.statusCode, 404);
  });
});

describe('startMetricsServer', () => {
  let server: MetricsServer;
  const logs = captureLogs();
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);

  before(async () => {
    process.on('warning', onWarning);
    const metrics = createMetrics({ collectProcess: false });
    metrics.setCertificateExpiry('serving', new Date('2027-01-01T00:00:00Z'));
    const listenAt = { host: '127.0.0.1', port: 0 };
    server = await startMetricsServer(metrics.registry, listenAt, logs.logger);
  });

  after(async () => {
    process.removeListener('warning', onWarning);
    await server.close();
  });

  it('starts without a deprecation warning', async () => {
    // process.emitWarning delivers the event on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    const deprecations = warnings.filter((warning) => warning.name === 'FastifyDeprecation');
    assert.deepEqual(deprecations.map((warning) => warning.message), []);
  });

  it('logs no request line for a scrape', async () => {
    await get(server.address.port, '/metrics');
    const requestLines = logs.lines.filter((line) => line.msg === 'incoming request');
    assert.equal(requestLines.length, 0);
  });

  it('binds a free port for port 0', () => {
    assert.notEqual(server.address.port, 0);
  });

  it('serves /metrics over plain HTTP', async () => {
    const response = await get(server.address.port, '/metrics');
    assert.equal(response.statusCode, 200);
    assert.match(
      response.body,
      /inference_crds_certificate_expiry_timestamp_seconds\{certificate="serving"\} 1798761600/,
    );
  });

  it('answers other paths with a JSON 404', async () => {
    const response = await get(server.address.port, '/validate');
    assert.equal(response.statusCode, 404);
    assert.match(response.contentType, /^application\/json/);
    assert.match(JSON.parse(response.body).message, /this port serves GET \/metrics/);
  });
});

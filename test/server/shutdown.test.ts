import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/logger.ts';
import { buildApp } from '../../src/server/app.ts';
import { createReadinessState } from '../../src/server/readiness.ts';
import { closeGracefully } from '../../src/server/shutdown.ts';
import type { AdmissionGuard } from '../../src/server/validate.ts';
import { loadOrGenerateCertificates } from '../../src/tls/generated.ts';
import type { ServingCertificate } from '../../src/tls/serving-certificate.ts';
import { requestJson } from './https-client.ts';

const logger = createLogger('silent');
let folder: string;
let serving: ServingCertificate;

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'inference-crds-shutdown-'));
  serving = await loadOrGenerateCertificates({ certDir: folder, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }, logger);
});

after(() => rm(folder, { recursive: true, force: true }));

// A guard that responds only after `release` is called; `received` resolves when a request arrives.
function gatedGuard() {
  let release = () => undefined as void;
  let arrived = () => undefined as void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const received = new Promise<void>((resolve) => (arrived = resolve));
  const guard: AdmissionGuard = async () => {
    arrived();
    await gate;
    return { statusCode: 200, body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u', allowed: true } } };
  };
  return { guard, release, received };
}

async function listening(guard: AdmissionGuard) {
  const app = buildApp({ guard, readiness: createReadinessState(logger), logger, tls: serving });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return { app, url: `https://127.0.0.1:${port}/validate` };
}

const post = (url: string) =>
  requestJson(url, { ca: serving.caCert as string, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"request":{"uid":"u"}}' });

describe('closeGracefully', () => {
  it('lets a request in flight finish', async () => {
    const { guard, release, received } = gatedGuard();
    const { app, url } = await listening(guard);
    const response = post(url);
    await received;
    const closing = closeGracefully(app, 30_000, logger);
    release();
    assert.equal((await response).statusCode, 200);
    await closing;
    assert.equal(app.server.listening, false);
  });

  it('cuts a stuck request after the timeout', async () => {
    const { guard, release, received } = gatedGuard();
    const { app, url } = await listening(guard);
    const response = post(url).then(
      () => 'answered',
      (err: NodeJS.ErrnoException) => err.code,
    );
    await received;
    await closeGracefully(app, 200, logger);
    assert.equal(await response, 'ECONNRESET');
    assert.equal(app.server.listening, false);
    release();
  });

  it('stops accepting connections', async () => {
    const { guard } = gatedGuard();
    const { app, url } = await listening(guard);
    await closeGracefully(app, 1000, logger);
    await assert.rejects(post(url), /ECONNREFUSED/);
  });
});

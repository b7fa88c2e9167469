import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../../src/logger.ts';
import { buildApp } from '../../src/server/app.ts';
import { createReadinessState } from '../../src/server/readiness.ts';
import { replaceServingCertificate } from '../../src/server/tls-options.ts';
import type { AdmissionGuard } from '../../src/server/validate.ts';
import { loadOrGenerateCertificates } from '../../src/tls/generated.ts';
import type { ServingCertificate } from '../../src/tls/serving-certificate.ts';
import { connectTls, exchangeRaw, requestJson } from './https-client.ts';

const logger = createLogger('silent');
const hosts = { dnsNames: ['localhost', 'guard.https-test.svc'], ipAddresses: ['127.0.0.1'] };
const review = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: '4f1f7c2a-3b0e-4d51-a1f6-9c5f0b7e2d33', operation: 'DELETE' },
};

// Allows every request, echoing its uid.
const allowGuard: AdmissionGuard = async (body) => ({
  statusCode: 200,
  body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: (body as typeof review).request.uid, allowed: true } },
});

let folder: string;
let serving: ServingCertificate;
let app: FastifyInstance;
let port: number;
let ca: string;

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'inference-crds-https-'));
  serving = await loadOrGenerateCertificates({ certDir: folder, ...hosts }, logger);
  ca = serving.caCert as string;
  app = buildApp({ guard: allowGuard, readiness: createReadinessState(logger), logger, tls: serving });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.equal(typeof address, 'object');
  port = (address as { port: number }).port;
});

after(async () => {
  await app.close();
  await rm(folder, { recursive: true, force: true });
});

// The client allows weak ciphers so that only the protocol version can fail.
const tls11Client = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;

const url = (path: string) => `https://127.0.0.1:${port}${path}`;
const tlsOptions = () => ({ host: '127.0.0.1', port, ca });

async function assertServerUp(): Promise<void> {
  const response = await requestJson(url('/healthz'), { ca });
  assert.equal(response.statusCode, 200);
}

describe('TLS versions', () => {
  it('accepts a TLS 1.2 client', async () => {
    const socket = await connectTls({ ...tlsOptions(), maxVersion: 'TLSv1.2' });
    assert.equal(socket.getProtocol(), 'TLSv1.2');
    assert.equal(socket.authorized, true);
    socket.destroy();
  });

  it('accepts a TLS 1.3 client', async () => {
    const socket = await connectTls({ ...tlsOptions(), minVersion: 'TLSv1.3' });
    assert.equal(socket.getProtocol(), 'TLSv1.3');
    socket.destroy();
  });

  it('test client can speak TLS 1.1', async () => {
    const legacy = createTlsServer({ cert: serving.cert, key: serving.key, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, (socket) => socket.end());
    await new Promise<void>((resolve) => legacy.listen(0, '127.0.0.1', resolve));
    try {
      const address = legacy.address() as { port: number };
      const socket = await connectTls({ host: '127.0.0.1', port: address.port, ca, ...tls11Client });
      assert.equal(socket.getProtocol(), 'TLSv1.1');
      socket.destroy();
    } finally {
      legacy.close();
    }
  });

  it('rejects a TLS 1.1 client', async () => {
    await assert.rejects(connectTls({ ...tlsOptions(), ...tls11Client }), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
      return true;
    });
    await assertServerUp();
  });
});

describe('served certificate', () => {
  it('carries the configured SANs', async () => {
    const socket = await connectTls(tlsOptions());
    const peer = new X509Certificate(socket.getPeerX509Certificate()?.raw as Buffer);
    socket.destroy();
    assert.equal(peer.subjectAltName, 'DNS:localhost, DNS:guard.https-test.svc, IP Address:127.0.0.1');
  });

  it('is signed with SHA-256 by the CA', async () => {
    const socket = await connectTls(tlsOptions());
    const peer = new X509Certificate(socket.getPeerX509Certificate()?.raw as Buffer);
    socket.destroy();
    assert.match(peer.signatureAlgorithm ?? '', /SHA256/i);
    assert.equal(peer.verify(new X509Certificate(ca).publicKey), true);
  });

  it('verifies for the DNS name localhost', async () => {
    const socket = await connectTls({ ...tlsOptions(), servername: 'localhost' });
    assert.equal(socket.authorized, true);
    socket.destroy();
  });

  it('is replaced without a restart', async () => {
    const other = await mkdtemp(join(tmpdir(), 'inference-crds-https-next-'));
    try {
      const next = await loadOrGenerateCertificates({ certDir: other, ...hosts }, logger);
      replaceServingCertificate(app.server as HttpsServer, next);
      const socket = await connectTls({ host: '127.0.0.1', port, ca: next.caCert as string });
      const peer = new X509Certificate(socket.getPeerX509Certificate()?.raw as Buffer);
      socket.destroy();
      assert.equal(peer.fingerprint256, new X509Certificate(next.cert).fingerprint256);
      await assert.rejects(connectTls({ ...tlsOptions(), ...tls11Client }), /alert protocol version/);
    } finally {
      replaceServingCertificate(app.server as HttpsServer, serving);
      await rm(other, { recursive: true, force: true });
    }
  });
});

describe('bad input over HTTPS', () => {
  it('answers a valid review', async () => {
    const response = await requestJson(url('/validate'), {
      ca,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(review),
    });
    assert.equal(response.statusCode, 200);
    assert.deepEqual((response.body as { response: unknown }).response, { uid: review.request.uid, allowed: true });
  });

  it('answers garbage bytes with a JSON 400', async () => {
    const response = await exchangeRaw(tlsOptions(), [Buffer.from([0x16, 0x03, 0x01, 0xff, 0x00, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a])]);
    assert.equal(response.statusCode, 400);
    assert.match(response.headers, /content-type: application\/json/i);
    assert.deepEqual(JSON.parse(response.body), { error: 'Bad Request', message: 'malformed HTTP request' });
    await assertServerUp();
  });

  it('answers a garbage JSON body with a JSON 400', async () => {
    const response = await requestJson(url('/validate'), {
      ca,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22]),
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.contentType, /^application\/json/);
    assert.equal((response.body as { error: string }).error, 'Bad Request');
    await assertServerUp();
  });

  it('answers truncated JSON with a JSON 400', async () => {
    const text = JSON.stringify(review);
    const response = await requestJson(url('/validate'), {
      ca,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: text.slice(0, text.length - 7),
    });
    assert.equal(response.statusCode, 400);
    assert.match((response.body as { message: string }).message, /not valid JSON/);
    await assertServerUp();
  });

  it('survives a body cut short', async () => {
    const body = JSON.stringify(review);
    const head = `POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 100}\r\n\r\n`;
    const socket = await connectTls(tlsOptions());
    socket.write(head + body);
    socket.end();
    socket.resume();
    await new Promise((resolve) => socket.on('close', resolve));
    await assertServerUp();
  });

  it('answers a wrong content type with a JSON 415', async () => {
    const response = await requestJson(url('/validate'), {
      ca,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'kind=AdmissionReview',
    });
    assert.equal(response.statusCode, 415);
    assert.match((response.body as { message: string }).message, /application\/x-www-form-urlencoded/);
    await assertServerUp();
  });

  it('answers a declared huge body with a JSON 413', async () => {
    const head = 'POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n';
    const response = await exchangeRaw(tlsOptions(), [Buffer.from(head), Buffer.from('{"kind":"AdmissionReview",')]);
    assert.equal(response.statusCode, 413);
    assert.equal(JSON.parse(response.body).error, 'Payload Too Large');
    await assertServerUp();
  });

  it('answers a streamed huge body with a JSON 413', async () => {
    const head = 'POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunk = 'x'.repeat(256 * 1024);
    const framed = Buffer.from(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const chunks = [Buffer.from(head), ...Array.from({ length: 20 }, () => framed)];
    const response = await exchangeRaw(tlsOptions(), chunks);
    assert.equal(response.statusCode, 413);
    await assertServerUp();
  });
});

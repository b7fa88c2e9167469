import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger } from '../../src/logger.ts';
import { loadOrGenerateCertificates } from '../../src/tls/generated.ts';

const logger = createLogger('silent');
const dayMs = 24 * 60 * 60 * 1000;
const hosts = { dnsNames: ['localhost', 'guard.test.svc'], ipAddresses: ['127.0.0.1'] };
const folders: string[] = [];

after(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function certDir(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'inference-crds-certs-'));
  folders.push(folder);
  return join(folder, 'certs');
}

function parseBundle(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

async function readStored(folder: string) {
  const read = (name: string) => readFile(join(folder, name), 'utf8');
  return { caCert: await read('ca.crt'), caKey: await read('ca.key'), cert: await read('tls.crt'), key: await read('tls.key') };
}

describe('loadOrGenerateCertificates', () => {
  it('writes a CA and serving certificate', async () => {
    const folder = await certDir();
    const serving = await loadOrGenerateCertificates({ certDir: folder, ...hosts }, logger);
    const stored = await readStored(folder);
    assert.equal(stored.cert, serving.cert);
    assert.equal(stored.key, serving.key);
    assert.equal(stored.caCert, serving.caCert);
  });

  it('writes private keys with mode 0600', async () => {
    const folder = await certDir();
    await loadOrGenerateCertificates({ certDir: folder, ...hosts }, logger);
    for (const name of ['ca.key', 'tls.key']) {
      const mode = (await stat(join(folder, name))).mode & 0o777;
      assert.equal(mode, 0o600, name);
    }
  });

  it('signs with SHA-256 and the configured names', async () => {
    const folder = await certDir();
    const serving = await loadOrGenerateCertificates({ certDir: folder, ...hosts }, logger);
    const certificate = new X509Certificate(serving.cert);
    const authority = new X509Certificate(serving.caCert as string);
    assert.match(certificate.signatureAlgorithm ?? '', /SHA256/i);
    assert.equal(certificate.subjectAltName, 'DNS:localhost, DNS:guard.test.svc, IP Address:127.0.0.1');
    assert.equal(certificate.verify(authority.publicKey), true);
    assert.equal(authority.ca, true);
    assert.equal(certificate.ca, false);
  });

  it('reuses stored certificates that still fit', async () => {
    const folder = await certDir();
    const first = await loadOrGenerateCertificates({ certDir: folder, ...hosts }, logger);
    const second = await loadOrGenerateCertificates({ certDir: folder, ...hosts }, logger);
    assert.equal(second.cert, first.cert);
    assert.equal(second.caCert, first.caCert);
  });

  it('reissues the serving certificate when names change', async () => {
    const folder = await certDir();
    const first = await loadOrGenerateCertificates({ certDir: folder, ...hosts }, logger);
    const changed = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] };
    const second = await loadOrGenerateCertificates({ certDir: folder, ...changed }, logger);
    assert.notEqual(second.cert, first.cert);
    assert.equal(second.caCert, first.caCert);
    assert.equal(new X509Certificate(second.cert).subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  });

  it('reissues a serving certificate due for renewal', async () => {
    const folder = await certDir();
    const first = await loadOrGenerateCertificates({ certDir: folder, ...hosts }, logger);
    // The default serving certificate lives 7 days and is renewed after 67% of them.
    const later = new Date(Date.now() + 5 * dayMs);
    const second = await loadOrGenerateCertificates({ certDir: folder, ...hosts, now: later }, logger);
    assert.notEqual(second.cert, first.cert);
    assert.equal(second.caCert, first.caCert);
    assert.ok(new X509Certificate(second.cert).validToDate.getTime() > later.getTime() + 6 * dayMs);
  });

  it('keeps a serving certificate not yet due', async () => {
    const folder = await certDir();
    const first = await loadOrGenerateCertificates({ certDir: folder, ...hosts }, logger);
    const later = new Date(Date.now() + 4 * dayMs);
    const second = await loadOrGenerateCertificates({ certDir: folder, ...hosts, now: later }, logger);
    assert.equal(second.cert, first.cert);
  });

  it('rotates a CA due for renewal and keeps the previous one', async () => {
    const folder = await certDir();
    const first = await loadOrGenerateCertificates({ certDir: folder, ...hosts }, logger);
    // The default CA lives 365 days and is replaced after 67% of them.
    const later = new Date(Date.now() + 250 * dayMs);
    const second = await loadOrGenerateCertificates({ certDir: folder, ...hosts, now: later }, logger);
    const [current, previous] = parseBundle(second.caCert as string);
    assert.notEqual(current, first.caCert);
    assert.equal(previous, first.caCert);
    assert.equal(await readFile(join(folder, 'ca-previous.crt'), 'utf8'), first.caCert);
    const authority = new X509Certificate(current as string);
    assert.equal(new X509Certificate(second.cert).verify(authority.publicKey), true);
  });

  it('caps a serving certificate at the CA expiry', async () => {
    const folder = await certDir();
    const lifetimes = { servingMs: 30 * dayMs, caMs: 40 * dayMs, renewalFraction: 0.9 };
    await loadOrGenerateCertificates({ certDir: folder, ...hosts, lifetimes }, logger);
    const later = new Date(Date.now() + 31 * dayMs);
    const second = await loadOrGenerateCertificates({ certDir: folder, ...hosts, lifetimes, now: later }, logger);
    const authority = new X509Certificate(second.caCert as string);
    assert.equal(new X509Certificate(second.cert).validTo, authority.validTo);
  });

  it('replaces both when the CA expired', async () => {
    const folder = await certDir();
    const first = await loadOrGenerateCertificates({ certDir: folder, ...hosts }, logger);
    const later = new Date(Date.now() + 366 * dayMs);
    const second = await loadOrGenerateCertificates({ certDir: folder, ...hosts, now: later }, logger);
    assert.notEqual(second.caCert, first.caCert);
    assert.notEqual(second.cert, first.cert);
    const authority = new X509Certificate(second.caCert as string);
    assert.equal(new X509Certificate(second.cert).verify(authority.publicKey), true);
  });

  it('replaces a corrupt stored CA', async () => {
    const folder = await certDir();
    const first = await loadOrGenerateCertificates({ certDir: folder, ...hosts }, logger);
    await writeFile(join(folder, 'ca.crt'), 'garbage');
    const second = await loadOrGenerateCertificates({ certDir: folder, ...hosts }, logger);
    assert.notEqual(second.caCert, first.caCert);
    assert.equal((await readStored(folder)).caCert, second.caCert);
  });

  it('replaces a serving key that does not match', async () => {
    const folder = await certDir();
    const first = await loadOrGenerateCertificates({ certDir: folder, ...hosts }, logger);
    await writeFile(join(folder, 'tls.key'), (await readStored(folder)).caKey);
    const second = await loadOrGenerateCertificates({ certDir: folder, ...hosts }, logger);
    assert.notEqual(second.cert, first.cert);
    assert.equal(second.caCert, first.caCert);
  });
});

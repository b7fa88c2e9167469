// Reloading --tls-cert-file from a folder laid out the way the kubelet mounts a
// Secret: timestamped folders, a ..data symlink to the current one, and
// symlinks to ..data/<key>. An update swaps ..data atomically.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import type { Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.ts';
import { createReadinessState } from '../../src/server/readiness.ts';
import { replaceServingCertificate } from '../../src/server/tls-options.ts';
import type { AdmissionGuard } from '../../src/server/validate.ts';
import {
  generateCertificateAuthority,
  issueCertificate,
  type KeyPair,
} from '../../src/tls/certificates.ts';
import { watchCertificateFiles, type FileReload } from '../../src/tls/file-reload.ts';
import {
  readCertificateFiles,
  type ServingCertificate,
} from '../../src/tls/serving-certificate.ts';
import { captureLogs } from '../server/log-capture.ts';
import { servedCertificate, waitFor } from '../server/tls-probe.ts';

const dayMs = 24 * 60 * 60 * 1000;
const unusedGuard: AdmissionGuard = async () => ({ statusCode: 500, body: {} });
let folder: string;
let ca: KeyPair;
let versions = 0;
let app: FastifyInstance;
let port: number;
let reload: FileReload;
const logs = captureLogs();
const applied: ServingCertificate[] = [];

async function issue(): Promise<KeyPair> {
  return issueCertificate({
    ca,
    commonName: 'localhost',
    hosts: ['127.0.0.1'],
    usage: 'server',
    validityMs: dayMs,
  });
}

// Writes a new timestamped folder with `files` and points ..data at it, as the kubelet does.
async function publishVersion(files: Record<string, string>): Promise<void> {
  versions++;
  const version = `..2026_01_01_00_00_00.00000000${versions}`;
  await mkdir(join(folder, version));
  for (const [name, text] of Object.entries(files))
    await writeFile(join(folder, version, name), text);
  await symlink(version, join(folder, '..data_tmp'));
  await rename(join(folder, '..data_tmp'), join(folder, '..data'));
}

const files = () => ({
  certFile: join(folder, 'tls.crt'),
  keyFile: join(folder, 'tls.key'),
  caFile: join(folder, 'ca.crt'),
});

async function servedFingerprint(): Promise<string> {
  return (await servedCertificate(port)).certificate.fingerprint256;
}

function fingerprintOf(pair: KeyPair): string {
  return new X509Certificate(pair.cert).fingerprint256;
}

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'inference-crds-mounted-'));
  ca = await generateCertificateAuthority({ commonName: 'mounted-ca', validityMs: dayMs });
  const first = await issue();
  await publishVersion({ 'tls.crt': first.cert, 'tls.key': first.key, 'ca.crt': ca.cert });
  for (const name of ['tls.crt', 'tls.key', 'ca.crt'])
    await symlink(join('..data', name), join(folder, name));

  const initial = await readCertificateFiles(files(), logs.logger);
  app = buildApp({
    guard: unusedGuard,
    readiness: createReadinessState(logs.logger),
    logger: logs.logger,
    tls: initial,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
  const apply = async (serving: ServingCertificate) => {
    replaceServingCertificate(app.server as HttpsServer, serving);
    applied.push(serving);
  };
  reload = watchCertificateFiles({
    files: files(),
    initial,
    intervalMs: 100,
    apply,
    logger: logs.logger,
  });
});

after(async () => {
  await reload.stop();
  await app.close();
  await rm(folder, { recursive: true, force: true });
});

describe('watchCertificateFiles', () => {
  it('applies nothing while the files are unchanged', async () => {
    await reload.check();
    await reload.check();
    assert.equal(applied.length, 0);
  });

  it('serves the new certificate after the ..data swap', async () => {
    const next = await issue();
    await publishVersion({ 'tls.crt': next.cert, 'tls.key': next.key, 'ca.crt': ca.cert });
    const expected = fingerprintOf(next);
    await waitFor(
      'the new certificate is served',
      async () => (await servedFingerprint()) === expected,
      30_000,
    );
    assert.equal(applied.at(-1)?.cert, next.cert);
  });

  it('keeps serving when the new key does not match', async () => {
    const before = await servedFingerprint();
    const other = await issue();
    const wrongKey = await issue();
    await publishVersion({ 'tls.crt': other.cert, 'tls.key': wrongKey.key, 'ca.crt': ca.cert });
    await reload.check();
    const rejected = logs.lines.filter(
      (line) => line.msg === 'certificate files rejected, keeping the served certificate',
    );
    assert.equal(rejected.length, 1);
    assert.equal(await servedFingerprint(), before);
  });

  it('keeps serving while a file is missing', async () => {
    const before = await servedFingerprint();
    const other = await issue();
    await publishVersion({ 'tls.crt': other.cert, 'ca.crt': ca.cert });
    await reload.check();
    assert.ok(logs.lines.some((line) => line.msg === 'certificate files unreadable'));
    assert.equal(await servedFingerprint(), before);
  });

  it('recovers once valid files return', async () => {
    const good = await issue();
    await publishVersion({ 'tls.crt': good.cert, 'tls.key': good.key, 'ca.crt': ca.cert });
    await reload.check();
    assert.equal(await servedFingerprint(), fingerprintOf(good));
  });
});

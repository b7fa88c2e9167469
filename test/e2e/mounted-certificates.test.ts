// serve with --tls-cert-file from a folder laid out like a mounted Secret,
// against the real API server. The files change to a certificate of a new
// CA, as when cert-manager renews its CA. The process then merges the new CA
// into the caBundle first and serves the new certificate without a restart,
// so the API server keeps verifying every call.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { AdmissionregistrationV1Api } from '@kubernetes/client-node';
import { parseCommandLine } from '../../src/config/parse.ts';
import { loadBuiltInBundle } from '../../src/crds/bundle.ts';
import { createClients } from '../../src/kube/client.ts';
import { isNotFound } from '../../src/kube/status.ts';
import { createLogger } from '../../src/logger.ts';
import { startWebhookService, type WebhookService } from '../../src/server/service.ts';
import { caBundleTrusts } from '../../src/tls/ca-bundle.ts';
import {
  generateCertificateAuthority,
  issueCertificate,
  type KeyPair,
} from '../../src/tls/certificates.ts';
import { freePort } from '../controlplane/controlplane.ts';
import { servedCertificate, waitFor } from '../server/tls-probe.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import {
  builtInCrdNames,
  createInferencePool,
  deleteCrds,
  ensureNamespace,
  inferenceGroup,
} from '../support/crds.ts';
import { kubectl } from '../support/kubectl.ts';

const namespace = 'e2e-mounted-certificates';
const configurationName = 'e2e-mounted-certificates';
const poolCrd = `inferencepools.${inferenceGroup}`;
const dayMs = 24 * 60 * 60 * 1000;

let cluster: TestCluster;
let admission: AdmissionregistrationV1Api;
let folder: string;
let mounted: string;
let port: number;
let service: WebhookService | undefined;
let versions = 0;

async function deleteConfiguration(): Promise<void> {
  await admission
    .deleteValidatingWebhookConfiguration({ name: configurationName })
    .catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
}

async function issuePair(ca: KeyPair): Promise<KeyPair> {
  return issueCertificate({
    ca,
    commonName: 'localhost',
    hosts: ['127.0.0.1'],
    usage: 'server',
    validityMs: dayMs,
  });
}

// Writes a timestamped folder and swaps ..data to it, as the kubelet updates a Secret volume.
async function publishVersion(pair: KeyPair, ca: KeyPair): Promise<void> {
  versions++;
  const version = `..2026_02_01_00_00_00.00000000${versions}`;
  await mkdir(join(mounted, version));
  await writeFile(join(mounted, version, 'tls.crt'), pair.cert);
  await writeFile(join(mounted, version, 'tls.key'), pair.key);
  await writeFile(join(mounted, version, 'ca.crt'), ca.cert);
  await symlink(version, join(mounted, '..data_tmp'));
  await rename(join(mounted, '..data_tmp'), join(mounted, '..data'));
}

async function caBundle(): Promise<string | undefined> {
  const configuration = await admission.readValidatingWebhookConfiguration({
    name: configurationName,
  });
  return configuration.webhooks?.[0]?.clientConfig.caBundle;
}

async function deletionIsJudged(): Promise<string> {
  const result = await kubectl(cluster, ['delete', 'crd', poolCrd, '--wait=false']);
  assert.notEqual(result.code, 0);
  return result.stderr;
}

before(async () => {
  cluster = await useCluster();
  admission = cluster.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  await deleteConfiguration();
  await deleteCrds(cluster, await builtInCrdNames());
  await ensureNamespace(cluster, namespace);
  folder = await mkdtemp(join(tmpdir(), 'inference-crds-mounted-e2e-'));
  mounted = join(folder, 'tls');
  await mkdir(mounted);
  const firstCa = await generateCertificateAuthority({
    commonName: 'mounted-first-ca',
    validityMs: 30 * dayMs,
  });
  await publishVersion(await issuePair(firstCa), firstCa);
  for (const name of ['tls.crt', 'tls.key', 'ca.crt'])
    await symlink(join('..data', name), join(mounted, name));

  port = await freePort();
  const parsed = parseCommandLine(
    [
      'serve',
      '--listen-address=127.0.0.1',
      `--port=${port}`,
      `--tls-cert-file=${join(mounted, 'tls.crt')}`,
      `--tls-key-file=${join(mounted, 'tls.key')}`,
      `--tls-ca-file=${join(mounted, 'ca.crt')}`,
      `--webhook-config-name=${configurationName}`,
      `--webhook-url=https://127.0.0.1:${port}/validate`,
    ],
    {},
  );
  if (parsed.kind !== 'run') throw new Error('serve arguments did not parse');
  const clients = createClients(cluster.kubeConfig);
  const bundle = await loadBuiltInBundle();
  service = await startWebhookService({
    config: parsed.config,
    logger: createLogger('silent'),
    bundle,
    clients,
  });
  const deadline = Date.now() + 120_000;
  while (!service.readiness.report().ready && Date.now() < deadline) await sleep(250);
  assert.deepEqual(service.readiness.report().notReady, []);
  await createInferencePool(cluster, inferenceGroup, namespace, 'mounted-pool');
});

after(async () => {
  try {
    await service?.stop();
    await deleteConfiguration();
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

describe('serve with mounted certificate files', () => {
  it('serves a certificate of a new CA once the files change', async () => {
    const nextCa = await generateCertificateAuthority({
      commonName: 'mounted-next-ca',
      validityMs: 30 * dayMs,
    });
    const next = await issuePair(nextCa);
    await publishVersion(next, nextCa);
    const nextAuthority = new X509Certificate(nextCa.cert);
    await waitFor(
      'the new certificate is served',
      async () => {
        const { certificate } = await servedCertificate(port);
        return certificate.verify(nextAuthority.publicKey);
      },
      60_000,
    );
    assert.equal(caBundleTrusts(await caBundle(), next.cert), true);
  });

  it('keeps the old CA in the caBundle', async () => {
    const decoded = Buffer.from((await caBundle()) ?? '', 'base64').toString('utf8');
    assert.equal(decoded.match(/BEGIN CERTIFICATE/g)?.length, 2);
  });

  it('keeps judging deletions', async () => {
    const stderr = await deletionIsJudged();
    assert.match(stderr, /denied the request/);
    assert.doesNotMatch(stderr, /failed calling webhook/);
  });

  it('stays ready', () => {
    assert.deepEqual(service?.readiness.report().notReady, []);
  });
});

// serve with --ca-secret while the API server cannot be reached: the process
// listens with a temporary certificate, so the kubelet's liveness probe
// passes, reports not ready with the cause, and keeps retrying instead of
// exiting. No API server is needed: the kubeconfig points at a closed port.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../controlplane/controlplane.ts';
import { waitFor } from '../server/tls-probe.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

let folder: string;
let port: number;
let serve: ServeProcess;

function getJson(path: string): Promise<{ statusCode: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path, rejectUnauthorized: false, timeout: 5000 };
    const req = request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          statusCode: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'inference-crds-unreachable-'));
  const kubeconfigPath = join(folder, 'kubeconfig');
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'closed',
        cluster: {
          server: `https://127.0.0.1:${await freePort()}`,
          'insecure-skip-tls-verify': true,
        },
      },
    ],
    users: [{ name: 'nobody', user: { token: 'not-a-real-token' } }],
    contexts: [{ name: 'closed', context: { cluster: 'closed', user: 'nobody' } }],
    'current-context': 'closed',
  };
  await writeFile(kubeconfigPath, JSON.stringify(kubeconfig), { mode: 0o600 });
  port = await freePort();
  serve = startServe([
    `--kubeconfig=${kubeconfigPath}`,
    '--listen-address=127.0.0.1',
    `--port=${port}`,
    `--cert-dir=${join(folder, 'certs')}`,
    '--ca-secret=unreachable-ca',
    '--namespace=somewhere',
    '--connect-timeout=600',
    '--log-level=debug',
  ]);
  await waitFor(
    'serve listens',
    async () => serve.logs.some((line) => line.msg === 'webhook server listening'),
    60_000,
  );
});

after(async () => {
  await serve.stop();
  await rm(folder, { recursive: true, force: true });
});

describe('serve with an unreachable CA Secret', () => {
  it('passes the liveness probe', async () => {
    const response = await getJson('/healthz');
    assert.equal(response.statusCode, 200);
  });

  it('names the CA Secret in the readiness report', async () => {
    await waitFor(
      'a renewal has failed',
      async () => serve.logs.some((line) => line.msg === 'certificate renewal failed'),
      60_000,
    );
    const response = await getJson('/readyz');
    const checks = (response.body as { notReady: { check: string; reason: string }[] }).notReady;
    const tls = checks.find((check) => check.check === 'tls');
    assert.equal(response.statusCode, 503);
    assert.match(
      tls?.reason ?? '',
      /cannot renew the serving certificate from Secret somewhere\/unreachable-ca/,
    );
  });

  it('keeps retrying instead of exiting', async () => {
    const again = () =>
      serve.logs.filter((line) => line.msg === 'certificate renewal failed again');
    await waitFor('two more renewal attempts', async () => again().length >= 2, 30_000);
    assert.equal(serve.child.exitCode, null);
  });

  it('exits 0 on SIGTERM', async () => {
    assert.equal(await serve.stop(), 0, serve.logText());
  });
});

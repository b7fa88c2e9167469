// How `serve` ends when it cannot do its job. No API server is needed: the
// kubeconfig points at a closed port on 127.0.0.1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../controlplane/controlplane.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

let folder: string;
let kubeconfigPath: string;

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'inference-crds-serve-failures-'));
  kubeconfigPath = join(folder, 'kubeconfig');
  const closedPort = await freePort();
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: closed',
    '  cluster:',
    `    server: https://127.0.0.1:${closedPort}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: nobody',
    '  user:',
    '    token: not-a-real-token',
    'contexts:',
    '- name: closed',
    '  context: {cluster: closed, user: nobody}',
    'current-context: closed',
    '',
  ].join('\n');
  await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });
});

after(() => rm(folder, { recursive: true, force: true }));

function baseArguments(certDir: string): string[] {
  return [`--kubeconfig=${kubeconfigPath}`, '--listen-address=127.0.0.1', '--port=0', `--cert-dir=${certDir}`];
}

async function waitForLog(serve: ServeProcess, message: string): Promise<Record<string, unknown> | undefined> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && serve.child.exitCode === null) {
    const line = serve.logs.find((entry) => entry.msg === message);
    if (line !== undefined) return line;
    await sleep(100);
  }
  return serve.logs.find((entry) => entry.msg === message);
}

describe('serve failures', () => {
  it('exits 1 once the install gives up', async () => {
    const serve = startServe([...baseArguments(join(folder, 'give-up')), '--connect-timeout=1']);
    const code = await serve.exited;
    assert.equal(code, 1, serve.logText());
    const fatal = serve.logs.find((line) => line.msg === 'command failed');
    assert.equal(fatal?.level, 'fatal');
    assert.match(JSON.stringify(fatal?.err), /ERR_API_UNAVAILABLE/);
    assert.ok(serve.logs.some((line) => line.msg === 'webhook server stopped'));
  });

  it('stops on SIGTERM while the install retries', async () => {
    const serve = startServe([...baseArguments(join(folder, 'retrying')), '--connect-timeout=600']);
    const listening = await waitForLog(serve, 'webhook server listening');
    assert.notEqual(listening, undefined, serve.logText());
    const code = await serve.stop();
    assert.equal(code, 0, serve.logText());
  });

  it('reports not ready while the install retries', async () => {
    const serve = startServe([...baseArguments(join(folder, 'not-ready')), '--connect-timeout=600']);
    try {
      const failing = await waitForLog(serve, 'readiness check failing');
      assert.equal(failing?.check, 'caBundle', serve.logText());
      assert.match(String(failing?.reason), /cannot sync ValidatingWebhookConfiguration inference-extension-crds/);
    } finally {
      await serve.stop();
    }
  });

  it('exits 1 when --cert-dir cannot be created', async () => {
    // Node's recursive mkdir loops forever on /proc; the stop() deadline ends such a run.
    const serve = startServe(baseArguments('/proc/nope'));
    const timer = setTimeout(() => void serve.stop(), 60_000);
    const code = await serve.exited;
    clearTimeout(timer);
    assert.equal(code, 1, serve.logText());
    const fatal = serve.logs.find((line) => line.msg === 'command failed');
    const message = (fatal?.err as { message?: unknown } | undefined)?.message;
    assert.match(String(message), /^cannot create --cert-dir \/proc\/nope: ENOENT/);
  });

  it('stops on SIGTERM during a hung startup', async () => {
    // Reading a FIFO without a writer never completes, like a read on a hung mount.
    const fifo = join(folder, 'never-written.pem');
    await promisify(execFile)('mkfifo', [fifo]);
    const files = [`--tls-cert-file=${fifo}`, `--tls-key-file=${fifo}`, '--shutdown-timeout=1'];
    const serve = startServe([...baseArguments(join(folder, 'hung')), ...files]);
    const starting = await waitForLog(serve, 'webhook server starting');
    assert.notEqual(starting, undefined, serve.logText());
    await serve.stop();
    const requested = serve.logs.find((line) => line.msg === 'shutdown requested during startup');
    assert.equal(requested?.signal, 'SIGTERM', serve.logText());
    assert.equal(serve.child.signalCode, 'SIGTERM', serve.logText());
  });

  it('exits 1 when the TLS files cannot be read', async () => {
    const missing = join(folder, 'missing.crt');
    const serve = startServe([...baseArguments(join(folder, 'files')), `--tls-cert-file=${missing}`, `--tls-key-file=${missing}`]);
    const code = await serve.exited;
    assert.equal(code, 1);
    const fatal = serve.logs.find((line) => line.msg === 'command failed');
    assert.match(JSON.stringify(fatal?.err), /cannot read TLS certificate file .*missing\.crt/);
  });
});

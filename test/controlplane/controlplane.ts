// A real etcd and kube-apiserver on 127.0.0.1, built from Go modules by
// build.sh, with RBAC and an admin kubeconfig. There is no controller-manager,
// scheduler or kubelet: pods never run and namespaces never finish deleting,
// but CRDs, custom resources, RBAC, TokenRequest and admission webhooks work.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { generateCertificateAuthority, issueCertificate } from '../../src/tls/certificates.ts';

const here = dirname(fileURLToPath(import.meta.url));
const dayMs = 24 * 60 * 60 * 1000;
const readyTimeoutMs = 90_000;
const stopTimeoutMs = 10_000;

export interface ControlPlane {
  /** Admin kubeconfig, with a system:masters client certificate. */
  readonly kubeconfigPath: string;
  readonly serverUrl: string;
  readonly etcdUrl: string;
  /** Folder with kube-apiserver, kubectl, etcd and helm. */
  readonly binDir: string;
  readonly dataDir: string;
  /** Stops kube-apiserver only, leaving etcd, to simulate an API server outage. */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again with the same flags and port. */
  startApiServer(): Promise<void>;
  stop(): Promise<void>;
  /** Signals both servers and removes the data at once, for process exit handlers. */
  kill(): void;
}

/** Builds the binaries unless cached and returns their folder. */
export async function ensureBinaries(): Promise<string> {
  const script = join(here, 'build.sh');
  const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) {
    throw new Error(`control plane build failed: ${script} exited with ${code}`);
  }
  return output.trim().split('\n').at(-1) ?? '';
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') {
    throw new Error('could not read the port of a listening socket');
  }
  return address.port;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Resolves with the status code of a GET, or 0 when the connection fails.
function probe(url: string, agent?: Agent): Promise<number> {
  return new Promise((resolve) => {
    const send = url.startsWith('https:') ? request : httpRequest;
    const req = send(url, { agent, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function waitFor(name: string, process: ChildProcess, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (process.exitCode !== null) {
      throw new Error(`${name} exited with code ${process.exitCode} before it was ready`);
    }
    if (await check()) {
      return;
    }
    await sleep(250);
  }
  throw new Error(`${name} was not ready within ${readyTimeoutMs} ms`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
  await exited;
  clearTimeout(timer);
}

// Each server runs under supervise.sh, which keeps the other end of a stdin pipe and
// stops the server when that pipe closes, including when this process dies.
function startLogged(binary: string, args: string[], logPath: string): ChildProcess {
  const child = spawn(join(here, 'supervise.sh'), [binary, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  // The servers must not keep the harness alive: a test file ends when its
  // tests do, and kill() or the supervisor cleans up after it.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.on('exit', () => void writeFile(logPath, Buffer.concat(chunks)).catch(() => undefined));
  return child;
}

function kubeconfigYaml(serverUrl: string, caPem: string, client: { cert: string; key: string }): string {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: local',
    '  cluster:',
    `    server: ${serverUrl}`,
    `    certificate-authority-data: ${b64(caPem)}`,
    'users:',
    '- name: admin',
    '  user:',
    `    client-certificate-data: ${b64(client.cert)}`,
    `    client-key-data: ${b64(client.key)}`,
    'contexts:',
    '- name: local',
    '  context:',
    '    cluster: local',
    '    user: admin',
    '    namespace: default',
    'current-context: local',
    '',
  ].join('\n');
}

/** Starts etcd and kube-apiserver on free ports; `stop()` ends both and removes the data. */
export async function startControlPlane(): Promise<ControlPlane> {
  const binDir = await ensureBinaries();
  const dataDir = await mkdtemp(join(tmpdir(), 'inference-crds-cp-'));
  const certDir = join(dataDir, 'apiserver-certs');

  const clientCa = await generateCertificateAuthority({ commonName: 'control-plane-client-ca', validityMs: 30 * dayMs });
  const admin = await issueCertificate({
    ca: clientCa,
    commonName: 'admin',
    organization: 'system:masters',
    usage: 'client',
    validityMs: 30 * dayMs,
  });
  const serviceAccountKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(join(dataDir, 'client-ca.crt'), clientCa.cert);
  await writeFile(join(dataDir, 'sa.key'), serviceAccountKey.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(join(dataDir, 'sa.pub'), serviceAccountKey.publicKey.export({ type: 'spki', format: 'pem' }));

  const etcdPort = await freePort();
  const etcdPeerPort = await freePort();
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const etcd = startLogged(join(binDir, 'etcd'), [
    `--data-dir=${join(dataDir, 'etcd')}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
    `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ], join(dataDir, 'etcd.log'));

  let apiserver: ChildProcess | undefined;
  const stopAll = async () => {
    if (apiserver !== undefined) await stopProcess(apiserver);
    await stopProcess(etcd);
  };

  try {
    await waitFor('etcd', etcd, async () => (await probe(`${etcdUrl}/health`)) === 200);

    const securePort = await freePort();
    const serverUrl = `https://127.0.0.1:${securePort}`;
    const apiserverArgs = [
      `--etcd-servers=${etcdUrl}`,
      `--secure-port=${securePort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--cert-dir=${certDir}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=RBAC',
      `--client-ca-file=${join(dataDir, 'client-ca.crt')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dataDir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dataDir, 'sa.key')}`,
      '--disable-admission-plugins=ServiceAccount',
      '--allow-privileged=true',
    ];
    const adminAgent = new Agent({ cert: admin.cert, key: admin.key, rejectUnauthorized: false });
    const startApiServer = async () => {
      apiserver = startLogged(join(binDir, 'kube-apiserver'), apiserverArgs, join(dataDir, 'kube-apiserver.log'));
      const started = apiserver;
      await waitFor('kube-apiserver', started, async () => (await probe(`${serverUrl}/readyz`, adminAgent)) === 200);
    };
    await startApiServer();

    // kube-apiserver writes its self-signed serving certificate into --cert-dir.
    const servingCa = await readFile(join(certDir, 'apiserver.crt'), 'utf8');
    const kubeconfigPath = join(dataDir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfigYaml(serverUrl, servingCa, admin), { mode: 0o600 });
    await waitFor('default namespace', apiserver!, async () =>
      (await probe(`${serverUrl}/api/v1/namespaces/default`, adminAgent)) === 200,
    );

    return {
      kubeconfigPath,
      serverUrl,
      etcdUrl,
      binDir,
      dataDir,
      stopApiServer: async () => {
        if (apiserver !== undefined) await stopProcess(apiserver);
      },
      startApiServer,
      stop: async () => {
        await stopAll();
        await rm(dataDir, { recursive: true, force: true });
      },
      kill: () => {
        apiserver?.kill('SIGTERM');
        etcd.kill('SIGTERM');
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

// The control plane the benchmark runs against: a real etcd and
// kube-apiserver on 127.0.0.1, with the built-in CRD bundle installed.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, VersionApi } from '@kubernetes/client-node';
import { loadBuiltInBundle } from '../src/crds/bundle.ts';
import { installBundle } from '../src/crds/installer.ts';
import { createClients, loadKubeConfig, type KubeClients } from '../src/kube/client.ts';
import { isConflict } from '../src/kube/status.ts';
import { createLogger } from '../src/logger.ts';
import { startControlPlane, type ControlPlane } from '../test/controlplane/controlplane.ts';

const execFileAsync = promisify(execFile);

export interface BenchCluster {
  readonly controlPlane: ControlPlane;
  readonly clients: KubeClients;
}

export async function startBenchCluster(): Promise<BenchCluster> {
  const controlPlane = await startControlPlane();
  const clients = createClients(loadKubeConfig(controlPlane.kubeconfigPath));
  return { controlPlane, clients };
}

/** Installs the built-in bundle, or confirms it is installed, and waits until it is Established. */
export async function installBuiltInBundle(clients: KubeClients): Promise<void> {
  const options = {
    skipIfExists: false,
    keepOnUninstall: true,
    allowDowngrade: false,
    establishTimeoutMs: 60_000,
    connectTimeoutMs: 60_000,
    requestTimeoutMs: 10_000,
  };
  await installBundle(clients, await loadBuiltInBundle(), options, createLogger('warn'));
}

export async function ensureNamespace(clients: KubeClients, name: string): Promise<void> {
  const core = clients.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name } } }).catch((err: unknown) => {
    if (!isConflict(err)) throw err;
  });
}

export interface Versions {
  readonly node: string;
  readonly kubernetes: string;
  readonly etcd: string;
}

/** Returns the versions of Node.js, of the running kube-apiserver and of the etcd binary. */
export async function readVersions(cluster: BenchCluster): Promise<Versions> {
  const version = await cluster.clients.kubeConfig.makeApiClient(VersionApi).getCode();
  const etcd = join(cluster.controlPlane.binDir, 'etcd');
  const { stdout } = await execFileAsync(etcd, ['--version']);
  const etcdVersion = /etcd Version: (\S+)/.exec(stdout)?.[1] ?? stdout.trim();
  return { node: process.version, kubernetes: version.gitVersion, etcd: etcdVersion };
}

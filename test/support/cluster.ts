// The one way tests reach the control plane. Under `npm test` the global setup
// has started it and exported its coordinates. A test file run on its own
// starts a private one, which stops when that process exits.
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../controlplane/controlplane.ts';

export interface TestCluster {
  readonly kubeconfigPath: string;
  readonly binDir: string;
  readonly kubeConfig: KubeConfig;
  /** Present only for a control plane this process started itself. */
  readonly controlPlane?: ControlPlane;
}

const envKubeconfig = 'INFERENCE_CRDS_TEST_KUBECONFIG';
const envBinDir = 'INFERENCE_CRDS_TEST_BIN_DIR';

export function controlPlaneEnv(controlPlane: ControlPlane): Record<string, string> {
  return { [envKubeconfig]: controlPlane.kubeconfigPath, [envBinDir]: controlPlane.binDir };
}

function loadKubeConfig(path: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return kubeConfig;
}

let shared: Promise<TestCluster> | undefined;

// Control planes this process started. They stop when the process exits,
// which is after every hook of the test file, including its own after() hooks.
// A hook registered here would run before the hooks the file registers later.
const started: ControlPlane[] = [];
process.once('exit', () => {
  for (const controlPlane of started) controlPlane.kill();
});

/** Returns the shared test cluster, starting a private control plane when none was exported. */
export function useCluster(): Promise<TestCluster> {
  shared ??= connect();
  return shared;
}

async function connect(): Promise<TestCluster> {
  const kubeconfigPath = process.env[envKubeconfig];
  const binDir = process.env[envBinDir];
  if (kubeconfigPath !== undefined && binDir !== undefined) {
    return { kubeconfigPath, binDir, kubeConfig: loadKubeConfig(kubeconfigPath) };
  }
  const controlPlane = await startControlPlane();
  started.push(controlPlane);
  return {
    kubeconfigPath: controlPlane.kubeconfigPath,
    binDir: controlPlane.binDir,
    kubeConfig: loadKubeConfig(controlPlane.kubeconfigPath),
    controlPlane,
  };
}

/**
 * Starts a control plane of the test's own, for tests that stop and restart
 * the API server and must not disturb the shared one. It stops when the test
 * file ends, or earlier through its own stop().
 */
export async function startPrivateControlPlane(): Promise<ControlPlane> {
  const controlPlane = await startControlPlane();
  started.push(controlPlane);
  return controlPlane;
}

/**
 * Writes a kubeconfig for the same server that authenticates with a bearer
 * token only, such as a ServiceAccount token from TokenRequest. Returns its path.
 */
export async function writeTokenKubeconfig(cluster: TestCluster, token: string, name: string): Promise<string> {
  const server = cluster.kubeConfig.getCurrentCluster();
  if (server === null) throw new Error('test kubeconfig has no current cluster');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [server],
    users: [{ name, token }],
    contexts: [{ name, cluster: server.name, user: name }],
    currentContext: name,
  });
  const path = join(dirname(cluster.kubeconfigPath), `kubeconfig-${name}`);
  await writeFile(path, kubeConfig.exportConfig(), { mode: 0o600 });
  return path;
}

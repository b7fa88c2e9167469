// Kubeconfigs for the admission tests' failure cases, all on 127.0.0.1.
import { createServer, type Server, type Socket } from 'node:net';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { freePort } from '../controlplane/controlplane.ts';
import { writeTokenKubeconfig, type TestCluster } from '../support/cluster.ts';
import { ensureNamespace } from '../support/crds.ts';

/** Returns a kubeconfig for the server at `url` that trusts any certificate. */
export function kubeConfigFor(url: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'test', server: url, skipTLSVerify: true }],
    users: [{ name: 'test', token: 'unused' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
    currentContext: 'test',
  });
  return kubeConfig;
}

/** Returns a kubeconfig for a ServiceAccount that no Role grants anything. */
export async function unprivilegedKubeConfig(
  cluster: TestCluster,
  namespace: string,
  name: string,
): Promise<KubeConfig> {
  await ensureNamespace(cluster, namespace);
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const token = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds: 600 } },
  });
  const path = await writeTokenKubeconfig(cluster, token.status?.token ?? '', name);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return kubeConfig;
}

/** A TCP server on 127.0.0.1 that accepts connections and never sends a byte. */
export interface SilentServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('silent server has no port');
  return {
    url: `https://127.0.0.1:${address.port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Returns the https URL of a 127.0.0.1 port that nothing listens on a moment ago. */
export async function closedPortUrl(): Promise<string> {
  return `https://127.0.0.1:${await freePort()}`;
}

// A TCP proxy on 127.0.0.1 that holds back every chunk the upstream sends for
// `delayMs`, to make the real API server look slow. TLS passes through
// untouched, so clients verify the API server's own certificate.
import { writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import type { TestCluster } from '../support/cluster.ts';

export interface DelayProxy {
  readonly port: number;
  /** Delay added to each chunk from the upstream; change it at any time. */
  delayMs: number;
  close(): Promise<void>;
}

function relay(client: Socket, upstream: Socket, proxy: DelayProxy): void {
  let chain: Promise<void> = Promise.resolve();
  client.pipe(upstream);
  upstream.on('data', (chunk: Buffer) => {
    const due = Date.now() + proxy.delayMs;
    chain = chain.then(async () => {
      const waitMs = due - Date.now();
      if (waitMs > 0) await sleep(waitMs);
      if (!client.destroyed) client.write(chunk);
    });
  });
  upstream.on('end', () => void chain.then(() => client.end()));
  for (const socket of [client, upstream]) {
    socket.on('error', () => {
      client.destroy();
      upstream.destroy();
    });
    socket.on('close', () => (socket === client ? upstream.destroy() : undefined));
  }
}

/** Starts a proxy to `target` on a free port of 127.0.0.1, with no delay yet. */
export async function startDelayProxy(target: { host: string; port: number }): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    relay(client, upstream, proxy);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: DelayProxy = {
    port: (server.address() as { port: number }).port,
    delayMs: 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return proxy;
}

/** Writes a kubeconfig like the cluster's that reaches the API server through the proxy. */
export async function writeProxyKubeconfig(
  cluster: TestCluster,
  proxy: DelayProxy,
): Promise<string> {
  const live = cluster.kubeConfig;
  const current = live.getCurrentCluster();
  if (current === null) throw new Error('test kubeconfig has no current cluster');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ ...current, server: `https://127.0.0.1:${proxy.port}` }],
    users: live.getUsers(),
    contexts: live.getContexts(),
    currentContext: live.getCurrentContext(),
  });
  const path = join(dirname(cluster.kubeconfigPath), `kubeconfig-delay-proxy-${proxy.port}`);
  await writeFile(path, kubeConfig.exportConfig(), { mode: 0o600 });
  return path;
}

/** Returns the host and port of the cluster's API server. */
export function apiServerAddress(cluster: TestCluster): { host: string; port: number } {
  const server = cluster.kubeConfig.getCurrentCluster()?.server;
  if (server === undefined) throw new Error('test kubeconfig has no current cluster');
  const url = new URL(server);
  return { host: url.hostname, port: Number(url.port) };
}

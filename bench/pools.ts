// Fills the API server with InferencePools (inference.networking.k8s.io/v1).
import type { KubeClients } from '../src/kube/client.ts';

const group = 'inference.networking.k8s.io';
const version = 'v1';
const plural = 'inferencepools';

function poolBody(namespace: string, name: string): object {
  return {
    apiVersion: `${group}/${version}`,
    kind: 'InferencePool',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: { app: 'model-server' } },
      targetPorts: [{ number: 8000 }],
      endpointPickerRef: { name: 'endpoint-picker', port: { number: 9002 } },
    },
  };
}

export function poolName(index: number): string {
  return `pool-${String(index).padStart(5, '0')}`;
}

/**
 * Creates pools numbered `from` (inclusive) to `to` (exclusive) in
 * `namespace`, with at most `concurrency` creates in flight, and reports
 * progress every `progressEvery` pools.
 */
export async function createPools(
  clients: KubeClients,
  namespace: string,
  range: { readonly from: number; readonly to: number },
  concurrency: number,
  onProgress: (created: number) => void,
): Promise<void> {
  const progressEvery = 1000;
  let next = range.from;
  let created = 0;
  const worker = async () => {
    while (next < range.to) {
      const name = poolName(next++);
      const body = poolBody(namespace, name);
      await clients.customObjects.createNamespacedCustomObject({
        group,
        version,
        plural,
        namespace,
        body,
      });
      created += 1;
      if (created % progressEvery === 0) onProgress(created);
    }
  };
  const workers = Math.min(concurrency, Math.max(range.to - range.from, 1));
  await Promise.all(Array.from({ length: workers }, worker));
}

/** Counts the v1 InferencePools in all namespaces by reading every page of the list. */
export async function countPools(clients: KubeClients): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const page = (await clients.customObjects.listClusterCustomObject({
      group,
      version,
      plural,
      limit: 500,
      ...(token === undefined ? {} : { _continue: token }),
    })) as { items: unknown[]; metadata?: { continue?: string } };
    count += page.items.length;
    token = page.metadata?.continue || undefined;
  } while (token !== undefined);
  return count;
}

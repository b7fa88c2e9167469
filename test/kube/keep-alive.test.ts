import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { createClients } from '../../src/kube/client.ts';
import { useCluster } from '../support/cluster.ts';

const cluster = await useCluster();

// Counts the TCP client sockets Node opens while `work` runs.
async function countSockets(work: () => Promise<void>): Promise<number> {
  let sockets = 0;
  const onSocket = () => {
    sockets += 1;
  };
  subscribe('net.client.socket', onSocket);
  try {
    await work();
  } finally {
    unsubscribe('net.client.socket', onSocket);
  }
  return sockets;
}

async function listNamespacesTimes(core: CoreV1Api, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const list = await core.listNamespace({ limit: 1 });
    assert.ok(list.items.length > 0);
  }
}

describe('createClients connection reuse', () => {
  it('reuses one connection for sequential calls', async () => {
    const { core } = createClients(cluster.kubeConfig);
    const sockets = await countSockets(() => listNamespacesTimes(core, 10));
    assert.equal(sockets, 1);
  });

  it('opens a connection per call with the default client', async () => {
    const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
    const sockets = await countSockets(() => listNamespacesTimes(core, 10));
    assert.equal(sockets, 10);
  });

  it('authenticates with the kubeconfig credentials', async () => {
    const { core } = createClients(cluster.kubeConfig);
    const namespace = await core.readNamespace({ name: 'kube-system' });
    assert.equal(namespace.metadata?.name, 'kube-system');
  });
});

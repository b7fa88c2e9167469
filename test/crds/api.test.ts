import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { freePort } from '../controlplane/controlplane.ts';
import { createApiCaller } from '../../src/crds/api.ts';
import { createClients, withTimeout } from '../../src/kube/client.ts';
import { captureLogs } from '../server/log-capture.ts';

// Returns clients whose API server address is a closed port on 127.0.0.1.
async function unreachableClients() {
  const kubeConfig = new KubeConfig();
  const server = `https://127.0.0.1:${await freePort()}`;
  kubeConfig.loadFromClusterAndUser({ name: 'closed', server, skipTLSVerify: true }, { name: 'u' });
  return createClients(kubeConfig);
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe('createApiCaller', () => {
  it('logs an unreachable API server error once', async () => {
    const logs = captureLogs();
    const call = createApiCaller({ requestTimeoutMs: 5_000, retryTimeoutMs: 300 }, logs.logger);
    const clients = await unreachableClients();
    const failure = await call('list namespaces', () =>
      clients.core.listNamespace({}, withTimeout(5_000)),
    ).catch((err: unknown) => err);
    logs.logger.fatal({ err: failure }, 'command failed');
    const line = logs.lines.find((entry) => entry.msg === 'command failed');
    const message = String((line?.err as { message?: unknown } | undefined)?.message);
    assert.match(message, /^API server unreachable: list namespaces failed after retrying/);
    assert.equal(occurrences(message, 'ECONNREFUSED'), 1, message);
  });
});

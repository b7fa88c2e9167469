import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { freePort } from '../controlplane/controlplane.ts';
import { createClients, withTimeout } from '../../src/kube/client.ts';
import { describeErrorWithCause, isTransient } from '../../src/kube/status.ts';

// Returns the error of a request that @kubernetes/client-node sends to `server`.
async function requestError(server: string, skipTLSVerify: boolean): Promise<unknown> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser({ name: 'target', server, skipTLSVerify }, { name: 'user' });
  try {
    await createClients(kubeConfig).core.listNamespace({}, withTimeout(10_000));
  } catch (err) {
    return err;
  }
  throw new Error(`the request to ${server} succeeded`);
}

describe('isTransient', () => {
  it('retries a refused connection', async () => {
    const err = await requestError(`https://127.0.0.1:${await freePort()}`, true);
    assert.equal(isTransient(err), true);
  });

  it('does not retry a rejected client configuration', async () => {
    const err = await requestError(`http://127.0.0.1:${await freePort()}`, false);
    assert.match(String(err), /HTTP protocol is not allowed/);
    assert.equal(isTransient(err), false);
  });

  it('does not retry a value that is not an Error', () => {
    assert.equal(isTransient('failed'), false);
  });
});

describe('describeErrorWithCause', () => {
  it('appends the cause once', () => {
    const err = new Error('API server unreachable', { cause: new Error('connect ECONNREFUSED') });
    const text = describeErrorWithCause(err);
    assert.equal(text, 'API server unreachable: connect ECONNREFUSED');
  });

  it('skips a cause the message contains', () => {
    const err = new Error('read crd x failed: boom', { cause: new Error('boom') });
    assert.equal(describeErrorWithCause(err), 'read crd x failed: boom');
  });
});

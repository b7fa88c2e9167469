// Runs the installer while kube-apiserver is down, on a control plane of its
// own so that the shared one stays up for other test files.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import type { ControlPlane } from '../controlplane/controlplane.ts';
import { loadBuiltInBundle, type Bundle } from '../../src/crds/bundle.ts';
import { installBundle, type InstallOptions } from '../../src/crds/installer.ts';
import { errorCodes, hasCode } from '../../src/errors.ts';
import { createClients, type KubeClients } from '../../src/kube/client.ts';
import { startPrivateControlPlane } from '../support/cluster.ts';
import { captureLogs } from '../support/logs.ts';

const retryMessage = 'api request failed, retrying';
const options: InstallOptions = {
  skipIfExists: false,
  keepOnUninstall: true,
  allowDowngrade: false,
  establishTimeoutMs: 60_000,
  connectTimeoutMs: 120_000,
  requestTimeoutMs: 5_000,
};

const controlPlane: ControlPlane = await startPrivateControlPlane();
let clients: KubeClients;
let bundle: Bundle;

before(async () => {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(controlPlane.kubeconfigPath);
  clients = createClients(kubeConfig);
  bundle = await loadBuiltInBundle();
});

describe('installBundle while the API server is down', () => {
  it('gives up once connectTimeoutMs is spent', async () => {
    await controlPlane.stopApiServer();
    try {
      const logs = captureLogs();
      const install = installBundle(
        clients,
        bundle,
        { ...options, connectTimeoutMs: 2_000 },
        logs.logger,
      );
      await assert.rejects(install, (err: unknown) => {
        assert.ok(hasCode(err, errorCodes.apiUnavailable), String(err));
        assert.match(err.message, /--connect-timeout/);
        return true;
      });
      assert.ok(logs.withMessage(retryMessage).length >= 1);
    } finally {
      await controlPlane.startApiServer();
    }
  });

  it('succeeds once the API server comes up late', async () => {
    await controlPlane.stopApiServer();
    const logs = captureLogs();
    const install = installBundle(clients, bundle, options, logs.logger);
    // Keep the server down long enough for several attempts to fail.
    await sleep(3_000);
    await controlPlane.startApiServer();

    const report = await install;
    assert.deepEqual(
      report.outcomes.map((outcome) => outcome.action),
      bundle.crds.map(() => 'created'),
    );
    const retries = logs.withMessage(retryMessage);
    assert.ok(retries.length >= 2, `logged ${retries.length} retries`);
    assert.equal(retries[0]?.level, 'warn');
    assert.equal(retries[0]?.attempt, 1);
    assert.match(String(retries[0]?.operation), /^read crd /);
  });
});

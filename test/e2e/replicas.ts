// Several `serve` processes that share one CA Secret, behind one webhook
// configuration with one webhook per process, the way a chart's Service
// spreads calls over its pods.
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import type { ServeProcess } from './serve-process.ts';

export { servedCertificate, waitFor } from '../server/tls-probe.ts';

const readyTimeoutMs = 120_000;

/**
 * Builds a configuration with one webhook per URL, guarding DELETE of
 * `crdNames` and failing closed.
 */
export function replicaConfiguration(
  name: string,
  urls: readonly string[],
  crdNames: readonly string[],
): V1ValidatingWebhookConfiguration {
  return {
    metadata: { name },
    webhooks: urls.map((url, index) => ({
      name: `replica-${index}.${name}.test.example`,
      clientConfig: { url },
      rules: [
        {
          operations: ['DELETE'],
          apiGroups: ['apiextensions.k8s.io'],
          apiVersions: ['v1'],
          resources: ['customresourcedefinitions'],
        },
      ],
      matchConditions: [
        { name: 'bundle-crds-only', expression: `request.name in ${JSON.stringify(crdNames)}` },
      ],
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      failurePolicy: 'Fail',
      timeoutSeconds: 10,
    })),
  };
}

/** Returns the status of GET /readyz, unverified, or 0 when the connection fails. */
export function readyzStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const options = {
      host: '127.0.0.1',
      port,
      path: '/readyz',
      rejectUnauthorized: false,
      timeout: 2000,
    };
    const req = request(options, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Polls /readyz until 200; throws with the process logs when it exits or times out. */
export async function waitUntilReady(serve: ServeProcess, port: number): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (serve.child.exitCode !== null) {
      throw new Error(`serve exited with code ${serve.child.exitCode}:\n${serve.logText()}`);
    }
    if ((await readyzStatus(port)) === 200) return;
    await sleep(250);
  }
  throw new Error(
    `serve on port ${port} was not ready within ${readyTimeoutMs} ms:\n${serve.logText()}`,
  );
}

// Time from spawning `serve` to its first 200 from /readyz. Ready means the
// certificates are loaded, the webhook configuration trusts them, and every
// bundle CRD is Established. Each start gets an empty --cert-dir, so the
// time includes generating the certificates.
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBuiltInBundle, crdNames } from '../src/crds/bundle.ts';
import { isNotFound } from '../src/kube/status.ts';
import type { KubeClients } from '../src/kube/client.ts';
import type { BenchCluster } from './cluster.ts';
import { startServe } from './serve-process.ts';
import { round, summarize } from './stats.ts';

export interface StartupResult {
  /** The first start, which creates the CRDs and waits until they are Established. */
  readonly coldMs: number;
  /** Later starts, which find the CRDs installed and unchanged. */
  readonly warmMs: readonly number[];
  readonly warmMeanMs: number;
}

const webhookConfigName = 'bench-startup';

async function anyCrdInstalled(clients: KubeClients): Promise<boolean> {
  for (const name of crdNames(await loadBuiltInBundle())) {
    try {
      await clients.apiextensions.readCustomResourceDefinition({ name });
      return true;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return false;
}

async function timeStart(cluster: BenchCluster, workDir: string): Promise<number> {
  const certDir = await mkdtemp(join(workDir, 'startup-certs-'));
  const kubeconfigPath = cluster.controlPlane.kubeconfigPath;
  const serve = await startServe({ kubeconfigPath, certDir, webhookConfigName });
  await serve.stop();
  return round(serve.readyMs, 1);
}

/** Measures one cold start, then `warmRuns` warm ones; the bundle CRDs must be absent. */
export async function measureStartup(
  cluster: BenchCluster,
  warmRuns: number,
  workDir: string,
): Promise<StartupResult> {
  if (await anyCrdInstalled(cluster.clients)) {
    throw new Error('a cold start needs a control plane without the bundle CRDs');
  }
  const coldMs = await timeStart(cluster, workDir);
  const warmMs: number[] = [];
  for (let run = 0; run < warmRuns; run++) warmMs.push(await timeStart(cluster, workDir));
  // serve leaves its webhook configuration behind, pointing at a stopped server.
  await cluster.clients.admission.deleteValidatingWebhookConfiguration({ name: webhookConfigName });
  return { coldMs, warmMs, warmMeanMs: round(summarize(warmMs).mean, 1) };
}

// Runs the control plane's own helm against the test cluster.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import type { TestCluster } from './cluster.ts';
import type { CommandResult } from './kubectl.ts';

const execFileAsync = promisify(execFile);

/** Runs helm with the test kubeconfig; never throws on a non-zero exit. */
export async function helm(cluster: TestCluster, args: readonly string[]): Promise<CommandResult> {
  const binary = join(cluster.binDir, 'helm');
  try {
    const { stdout, stderr } = await execFileAsync(
      binary,
      ['--kubeconfig', cluster.kubeconfigPath, ...args],
      {
        timeout: 120_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failure = err as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failure.code === 'number' ? failure.code : 1,
      stdout: failure.stdout ?? '',
      stderr: failure.stderr ?? '',
    };
  }
}

/**
 * Installs a Helm release whose chart has the given objects as templates, the
 * way charts that manage CRDs as ordinary resources do.
 */
export async function installObjectsChart(
  cluster: TestCluster,
  namespace: string,
  release: string,
  objects: readonly object[],
): Promise<CommandResult> {
  const chart = await mkdtemp(join(tmpdir(), 'inference-crds-chart-'));
  try {
    await mkdir(join(chart, 'templates'));
    await writeFile(
      join(chart, 'Chart.yaml'),
      yaml.dump({ apiVersion: 'v2', name: release, version: '0.1.0' }),
    );
    const manifests = objects.map((object) => yaml.dump(object)).join('---\n');
    await writeFile(join(chart, 'templates', 'objects.yaml'), manifests);
    return await helm(cluster, ['install', release, chart, '--namespace', namespace]);
  } finally {
    await rm(chart, { recursive: true, force: true });
  }
}

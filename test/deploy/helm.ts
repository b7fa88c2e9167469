// Runs the pinned Helm binary on the chart and parses what it renders.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { chartPath } from '../../scripts/render-manifests.ts';
import type { CommandResult } from '../support/kubectl.ts';

export { chartPath };

/** A rendered Kubernetes object, loosely typed for assertions. */
export interface RenderedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [field: string]: unknown;
}

// Helm keeps its repository cache and registry configuration under these
// folders. One temporary folder per test process keeps $HOME untouched.
const helmHome = mkdtempSync(join(tmpdir(), 'inference-crds-helm-'));
const helmEnv = {
  ...process.env,
  HELM_CACHE_HOME: join(helmHome, 'cache'),
  HELM_CONFIG_HOME: join(helmHome, 'config'),
  HELM_DATA_HOME: join(helmHome, 'data'),
};

/** Runs helm from `binDir` with `args` and resolves with its exit code and output, even on failure. */
export function helm(binDir: string, args: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    const options = { env: helmEnv, maxBuffer: 16 * 1024 * 1024, timeout: 180_000 };
    execFile(join(binDir, 'helm'), [...args], options, (err, stdout, stderr) => {
      let code = 0;
      if (err !== null) code = typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Parses a multi-document YAML stream into its non-empty objects. */
export function parseObjects(text: string): RenderedObject[] {
  return yaml.loadAll(text).filter((document) => document !== null && document !== undefined) as RenderedObject[];
}

/**
 * Renders the chart as release `release` in `namespace` with extra helm
 * arguments such as ['--set', 'replicas=1']. Throws with Helm's message when
 * rendering fails.
 */
export async function renderChart(
  binDir: string,
  extraArgs: readonly string[] = [],
  release = 'guard',
  namespace = 'guard-system',
): Promise<RenderedObject[]> {
  const result = await helm(binDir, ['template', release, chartPath, '--namespace', namespace, ...extraArgs]);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseObjects(result.stdout);
}

/** Returns the one rendered object of `kind` (and `name`, when given). Throws unless there is exactly one. */
export function findObject(objects: readonly RenderedObject[], kind: string, name?: string): RenderedObject {
  const matches = objects.filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
  if (matches.length !== 1) {
    throw new Error(`expected one ${kind}${name === undefined ? '' : ` ${name}`}, found ${matches.length}`);
  }
  return matches[0] as RenderedObject;
}

/** Returns the kinds of the rendered objects, sorted. */
export function kindsOf(objects: readonly RenderedObject[]): string[] {
  return objects.map((object) => object.kind).sort();
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly args: string[];
  readonly env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  readonly ports?: { name: string; containerPort: number }[];
  readonly securityContext: Record<string, unknown>;
  readonly volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  readonly livenessProbe?: { httpGet: { path: string; port: string; scheme: string } };
  readonly readinessProbe?: { httpGet: { path: string; port: string; scheme: string } };
}

export interface PodSpec {
  readonly serviceAccountName: string;
  readonly securityContext: Record<string, unknown>;
  readonly containers: Container[];
  readonly volumes?: { name: string; emptyDir?: object; secret?: { secretName: string } }[];
  readonly topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable: string }[];
  readonly affinity?: { podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: unknown[] } };
}

/** Returns the pod spec of a rendered Deployment or Job. */
export function podSpecOf(object: RenderedObject): PodSpec {
  return (object.spec as { template: { spec: PodSpec } }).template.spec;
}

/** Returns the first container of a rendered Deployment or Job. */
export function containerOf(object: RenderedObject): Container {
  return podSpecOf(object).containers[0] as Container;
}

export interface PolicyRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  readonly resourceNames?: string[];
}

/** Returns the rules of a rendered ClusterRole or Role. */
export function rulesOf(object: RenderedObject): PolicyRule[] {
  return (object as unknown as { rules: PolicyRule[] }).rules;
}

import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { parseCommandLine, type Config } from '../../src/config/parse.ts';
import { crdNames, loadBuiltInBundle } from '../../src/crds/bundle.ts';
import { generateCertificateAuthority } from '../../src/tls/certificates.ts';
import { ensureBinaries } from '../controlplane/controlplane.ts';
import {
  chartPath,
  containerOf,
  findObject,
  helm,
  kindsOf,
  podSpecOf,
  renderChart,
  rulesOf,
  type RenderedObject,
} from './helm.ts';

const release = 'guard';
const namespace = 'guard-system';
const fullname = 'guard-inference-extension-crds';
const hookName = `${fullname}-uninstall`;

let binDir: string;
let bundleNames: string[];
let defaults: RenderedObject[];

// Parses container args as the CLI would in the pod, with the namespace the
// downward API provides.
function parseArgs(args: readonly string[]): Config {
  const parsed = parseCommandLine(args, { POD_NAMESPACE: namespace });
  assert.equal(parsed.kind, 'run');
  return (parsed as { config: Config }).config;
}

function hookAnnotation(object: RenderedObject): string | undefined {
  return object.metadata.annotations?.['helm.sh/hook'];
}

async function writePemFile(): Promise<{ path: string; pem: string }> {
  const ca = await generateCertificateAuthority({ commonName: 'chart-test-ca', validityMs: 24 * 3600 * 1000 });
  const path = join(await mkdtemp(join(tmpdir(), 'chart-test-')), 'ca.crt');
  await writeFile(path, ca.cert);
  return { path, pem: ca.cert };
}

before(async () => {
  binDir = await ensureBinaries();
  bundleNames = crdNames(await loadBuiltInBundle());
  defaults = await renderChart(binDir, [], release, namespace);
});

describe('helm lint', () => {
  it('passes on the chart', async () => {
    const result = await helm(binDir, ['lint', chartPath]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('passes with --strict', async () => {
    const result = await helm(binDir, ['lint', chartPath, '--strict']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.doesNotMatch(result.stdout, /\[(WARNING|ERROR)\]/);
  });
});

describe('chart defaults', () => {
  it('render the expected objects', () => {
    assert.deepEqual(kindsOf(defaults.filter((object) => hookAnnotation(object) === undefined)), [
      'ClusterRole',
      'ClusterRoleBinding',
      'Deployment',
      'PodDisruptionBudget',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
      'ValidatingWebhookConfiguration',
    ]);
  });

  it('render an uninstall hook that keeps the CRDs', () => {
    const hooks = defaults.filter((object) => hookAnnotation(object) === 'pre-delete');
    assert.deepEqual(kindsOf(hooks), ['ClusterRole', 'ClusterRoleBinding', 'Job', 'ServiceAccount']);
    const config = parseArgs(containerOf(findObject(defaults, 'Job', hookName)).args);
    assert.equal(config.keepCrds, true);
    assert.equal(config.allowWebhookConfigDeletion, true);
    assert.equal(config.webhookConfigName, fullname);
  });

  it('let the uninstall hook only annotate the webhook configuration', () => {
    const rules = rulesOf(findObject(defaults, 'ClusterRole', hookName));
    assert.deepEqual(rules, [
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['validatingwebhookconfigurations'],
        resourceNames: [fullname],
        verbs: ['get', 'patch'],
      },
    ]);
  });

  it('place namespaced objects in the release namespace', () => {
    const clusterScoped = [
      'ClusterRole',
      'ClusterRoleBinding',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
      'ValidatingWebhookConfiguration',
    ];
    for (const object of defaults.filter((candidate) => !clusterScoped.includes(candidate.kind))) {
      assert.equal(object.metadata.namespace, namespace, `${object.kind} ${object.metadata.name}`);
    }
  });

  it('run two replicas spread across nodes', () => {
    const deployment = findObject(defaults, 'Deployment');
    assert.equal((deployment.spec as { replicas: number }).replicas, 2);
    const pod = podSpecOf(deployment);
    assert.equal(pod.topologySpreadConstraints?.[0]?.topologyKey, 'kubernetes.io/hostname');
    assert.equal(pod.topologySpreadConstraints?.[0]?.whenUnsatisfiable, 'ScheduleAnyway');
    assert.equal(pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length, 1);
  });

  it('keep one pod available through disruptions', () => {
    const budget = findObject(defaults, 'PodDisruptionBudget');
    const spec = budget.spec as { minAvailable: number; selector: { matchLabels: Record<string, string> } };
    assert.equal(spec.minAvailable, 1);
    const deployment = findObject(defaults, 'Deployment');
    const selector = (deployment.spec as { selector: { matchLabels: Record<string, string> } }).selector;
    assert.deepEqual(spec.selector.matchLabels, selector.matchLabels);
  });

  it('run pods as non-root with a read-only root filesystem', () => {
    const pod = podSpecOf(findObject(defaults, 'Deployment'));
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, 65532);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    const container = pod.containers[0];
    assert.equal(container?.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container?.securityContext.allowPrivilegeEscalation, false);
    assert.equal(container?.securityContext.runAsNonRoot, true);
    assert.deepEqual(container?.securityContext.capabilities, { drop: ['ALL'] });
    assert.deepEqual(container?.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  });

  it('use the appVersion as image tag', () => {
    assert.equal(containerOf(findObject(defaults, 'Deployment')).image, 'inference-extension-crds:0.1.0');
  });

  it('probe /healthz and /readyz over HTTPS on 9443', () => {
    const container = containerOf(findObject(defaults, 'Deployment'));
    assert.deepEqual(container.ports?.find((port) => port.name === 'https')?.containerPort, 9443);
    assert.deepEqual(container.livenessProbe?.httpGet, { path: '/healthz', port: 'https', scheme: 'HTTPS' });
    assert.deepEqual(container.readinessProbe?.httpGet, { path: '/readyz', port: 'https', scheme: 'HTTPS' });
  });

  it('expose port 443 and the metrics port on the Service', () => {
    const service = findObject(defaults, 'Service');
    const ports = (service.spec as { ports: { name: string; port: number; targetPort: string }[] }).ports;
    assert.deepEqual(ports, [
      { name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' },
      { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' },
    ]);
  });

  it('give serve a configuration the CLI accepts', () => {
    const container = containerOf(findObject(defaults, 'Deployment'));
    const config = parseArgs(container.args);
    assert.equal(config.command, 'serve');
    assert.equal(config.port, 9443);
    assert.equal(config.namespace, namespace);
    assert.equal(config.caSecret, `${fullname}-ca`);
    assert.equal(config.webhookConfigName, findObject(defaults, 'ValidatingWebhookConfiguration').metadata.name);
    assert.equal(config.keepOnUninstall, true);
    assert.equal(config.skipIfExists, false);
    assert.equal(config.tlsCertFile, undefined);
    assert.ok(config.certDnsNames.includes(`${fullname}.${namespace}.svc`), config.certDnsNames.join(','));
    assert.ok(config.lookupTimeoutMs < 10_000, String(config.lookupTimeoutMs));
  });

  it('read the namespace from the downward API', () => {
    const container = containerOf(findObject(defaults, 'Deployment'));
    const variable = container.env?.find((entry) => entry.name === 'POD_NAMESPACE');
    assert.equal(variable?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace');
  });

  it('keep certificates on an emptyDir at --cert-dir', () => {
    const deployment = findObject(defaults, 'Deployment');
    const config = parseArgs(containerOf(deployment).args);
    const mount = containerOf(deployment).volumeMounts?.find((entry) => entry.mountPath === config.certDir);
    assert.ok(mount !== undefined, `no volume mounted at ${config.certDir}`);
    const volume = podSpecOf(deployment).volumes?.find((entry) => entry.name === mount.name);
    assert.ok(volume?.emptyDir !== undefined, `volume ${mount.name} is not an emptyDir`);
  });
});

interface Webhook {
  name: string;
  admissionReviewVersions: string[];
  sideEffects: string;
  failurePolicy: string;
  timeoutSeconds: number;
  clientConfig: { service: { name: string; namespace: string; path: string; port: number }; caBundle?: string };
  rules: { apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] }[];
  matchConditions?: { name: string; expression: string }[];
}

function webhookOf(objects: readonly RenderedObject[]): Webhook {
  const configuration = findObject(objects, 'ValidatingWebhookConfiguration');
  const webhooks = (configuration as unknown as { webhooks: Webhook[] }).webhooks;
  assert.equal(webhooks.length, 1);
  return webhooks[0] as Webhook;
}

describe('webhook configuration', () => {
  it('intercepts only DELETE of CRDs', () => {
    const webhook = webhookOf(defaults);
    assert.equal(webhook.rules.length, 1);
    assert.deepEqual(webhook.rules[0]?.operations, ['DELETE']);
    assert.deepEqual(webhook.rules[0]?.apiGroups, ['apiextensions.k8s.io']);
    assert.deepEqual(webhook.rules[0]?.apiVersions, ['v1']);
    assert.deepEqual(webhook.rules[0]?.resources, ['customresourcedefinitions']);
  });

  it('matches only the bundle CRD names', () => {
    const conditions = webhookOf(defaults).matchConditions ?? [];
    assert.equal(conditions.length, 1);
    const quoted = [...(conditions[0]?.expression ?? '').matchAll(/'([^']+)'/g)].map((match) => match[1]);
    assert.deepEqual(quoted.sort(), [...bundleNames].sort());
  });

  it('calls /validate on the Service with v1 reviews', () => {
    const webhook = webhookOf(defaults);
    assert.deepEqual(webhook.clientConfig.service, { name: fullname, namespace, path: '/validate', port: 443 });
    assert.deepEqual(webhook.admissionReviewVersions, ['v1']);
    assert.equal(webhook.sideEffects, 'None');
  });

  it('fails closed after 10 seconds by default', () => {
    const webhook = webhookOf(defaults);
    assert.equal(webhook.failurePolicy, 'Fail');
    assert.equal(webhook.timeoutSeconds, 10);
  });

  it('leaves the caBundle to the pods with generated certificates', () => {
    assert.equal(webhookOf(defaults).clientConfig.caBundle, undefined);
  });

  it('takes failurePolicy Ignore and a shorter timeout', async () => {
    const objects = await renderChart(binDir, ['--set', 'webhook.failurePolicy=Ignore', '--set', 'webhook.timeoutSeconds=4']);
    const webhook = webhookOf(objects);
    assert.equal(webhook.failurePolicy, 'Ignore');
    assert.equal(webhook.timeoutSeconds, 4);
    assert.equal(parseArgs(containerOf(findObject(objects, 'Deployment')).args).lookupTimeoutMs, 2000);
  });
});

describe('chart RBAC', () => {
  const allRules = () => [
    ...rulesOf(findObject(defaults, 'ClusterRole', fullname)),
    ...rulesOf(findObject(defaults, 'Role')),
  ];

  it('uses no wildcards', () => {
    for (const rule of allRules()) {
      const fields = [...rule.apiGroups, ...rule.resources, ...rule.verbs, ...(rule.resourceNames ?? [])];
      assert.ok(!fields.includes('*'), JSON.stringify(rule));
    }
  });

  it('never lets the pods delete', () => {
    for (const rule of allRules()) {
      assert.ok(!rule.verbs.includes('delete'), JSON.stringify(rule));
      assert.ok(!rule.verbs.includes('deletecollection'), JSON.stringify(rule));
    }
  });

  it('limits CRD get, update and patch to the bundle', () => {
    const crdRules = allRules().filter((rule) => rule.resources.includes('customresourcedefinitions'));
    const named = crdRules.filter((rule) => rule.resourceNames !== undefined);
    const unnamed = crdRules.filter((rule) => rule.resourceNames === undefined);
    assert.deepEqual(named.flatMap((rule) => rule.verbs).sort(), ['get', 'patch', 'update']);
    assert.deepEqual(named[0]?.resourceNames?.slice().sort(), [...bundleNames].sort());
    assert.deepEqual(unnamed.flatMap((rule) => rule.verbs).sort(), ['create', 'list', 'watch']);
  });

  it('lets the pods list every bundle kind', () => {
    for (const name of bundleNames) {
      const [plural, group] = [name.slice(0, name.indexOf('.')), name.slice(name.indexOf('.') + 1)];
      const rule = allRules().find((candidate) => candidate.apiGroups.includes(group) && candidate.resources.includes(plural));
      assert.deepEqual(rule?.verbs, ['list'], name);
    }
  });

  it('limits webhook configuration access to its own', () => {
    const rules = allRules().filter((rule) => rule.resources.includes('validatingwebhookconfigurations'));
    assert.equal(rules.length, 1);
    assert.deepEqual(rules[0]?.resourceNames, [fullname]);
    assert.deepEqual(rules[0]?.verbs.slice().sort(), ['get', 'patch', 'update']);
  });

  it('limits Secret access to the CA Secret in a Role', () => {
    const clusterRules = rulesOf(findObject(defaults, 'ClusterRole', fullname));
    assert.ok(!clusterRules.some((rule) => rule.resources.includes('secrets')));
    const role = findObject(defaults, 'Role');
    assert.equal(role.metadata.namespace, namespace);
    const rules = rulesOf(role);
    const named = rules.filter((rule) => rule.resourceNames !== undefined);
    assert.deepEqual(named.map((rule) => rule.resourceNames), [[`${fullname}-ca`]]);
    assert.deepEqual(named[0]?.verbs.slice().sort(), ['get', 'patch', 'update']);
    assert.deepEqual(rules.filter((rule) => rule.resourceNames === undefined).map((rule) => rule.verbs), [['create']]);
  });

  it('binds both roles to the chart ServiceAccount', () => {
    const subject = { kind: 'ServiceAccount', name: fullname, namespace };
    for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
      const binding = findObject(defaults, kind, fullname) as unknown as { subjects: unknown[] };
      assert.deepEqual(binding.subjects, [subject], kind);
    }
    assert.equal(podSpecOf(findObject(defaults, 'Deployment')).serviceAccountName, fullname);
  });
});

describe('chart with non-default values', () => {
  it('renders no PodDisruptionBudget for one replica', async () => {
    const objects = await renderChart(binDir, ['--set', 'replicas=1']);
    assert.equal((findObject(objects, 'Deployment').spec as { replicas: number }).replicas, 1);
    assert.equal(objects.filter((object) => object.kind === 'PodDisruptionBudget').length, 0);
  });

  it('mounts an existing TLS Secret and passes its files', async () => {
    const args = ['--set', 'certificates.source=existingSecret', '--set', 'certificates.existingSecret.name=webhook-tls'];
    const objects = await renderChart(binDir, args);
    const deployment = findObject(objects, 'Deployment');
    const volume = podSpecOf(deployment).volumes?.find((entry) => entry.secret !== undefined);
    assert.equal(volume?.secret?.secretName, 'webhook-tls');
    const mount = containerOf(deployment).volumeMounts?.find((entry) => entry.name === volume?.name);
    assert.equal(mount?.readOnly, true);
    const config = parseArgs(containerOf(deployment).args);
    assert.equal(config.tlsCertFile, `${mount?.mountPath}/tls.crt`);
    assert.equal(config.tlsKeyFile, `${mount?.mountPath}/tls.key`);
    assert.equal(config.tlsCaFile, `${mount?.mountPath}/ca.crt`);
    assert.equal(config.caSecret, undefined);
    assert.equal(objects.filter((object) => object.kind === 'Role').length, 0);
  });

  it('writes a caBundle value into the webhook configuration', async () => {
    const { path, pem } = await writePemFile();
    const objects = await renderChart(binDir, [
      '--set', 'certificates.source=existingSecret',
      '--set', 'certificates.existingSecret.name=webhook-tls',
      '--set', 'certificates.existingSecret.hasCaCert=false',
      '--set-file', `certificates.caBundle=${path}`,
    ]);
    assert.equal(webhookOf(objects).clientConfig.caBundle, Buffer.from(pem).toString('base64'));
    assert.equal(parseArgs(containerOf(findObject(objects, 'Deployment')).args).tlsCaFile, undefined);
  });

  it('takes an image repository and tag', async () => {
    const objects = await renderChart(binDir, ['--set', 'image.repository=registry.example/iec', '--set', 'image.tag=1.2.3']);
    assert.equal(containerOf(findObject(objects, 'Deployment')).image, 'registry.example/iec:1.2.3');
  });
});

describe('chart with keepOnUninstall false', () => {
  let objects: RenderedObject[];
  before(async () => {
    objects = await renderChart(binDir, ['--set', 'keepOnUninstall=false']);
  });

  it('tells the pods to write keep-on-uninstall "false"', () => {
    assert.equal(parseArgs(containerOf(findObject(objects, 'Deployment')).args).keepOnUninstall, false);
  });

  it('adds a pre-delete hook Job with its own account', () => {
    const hooks = objects.filter((object) => hookAnnotation(object) === 'pre-delete');
    assert.deepEqual(kindsOf(hooks), ['ClusterRole', 'ClusterRoleBinding', 'Job', 'ServiceAccount']);
    for (const hook of hooks) assert.equal(hook.metadata.name, hookName, hook.kind);
  });

  it('creates the hook account before the Job', () => {
    const weight = (kind: string) => Number(findObject(objects, kind, hookName).metadata.annotations?.['helm.sh/hook-weight']);
    assert.ok(weight('ServiceAccount') < weight('Job'));
    assert.ok(weight('ClusterRole') < weight('Job'));
    assert.ok(weight('ClusterRoleBinding') < weight('Job'));
  });

  it('lets the hook get, patch and delete only the bundle CRDs', () => {
    const rules = rulesOf(findObject(objects, 'ClusterRole', hookName));
    const crdRules = rules.filter((rule) => rule.resources.includes('customresourcedefinitions'));
    assert.equal(crdRules.length, 1);
    assert.deepEqual(crdRules[0]?.resources, ['customresourcedefinitions']);
    assert.deepEqual(crdRules[0]?.verbs.slice().sort(), ['delete', 'get', 'patch']);
    assert.deepEqual(crdRules[0]?.resourceNames?.slice().sort(), [...bundleNames].sort());
  });

  it('lets the hook get and patch only its own webhook configuration', () => {
    const rules = rulesOf(findObject(objects, 'ClusterRole', hookName));
    const configurationRules = rules.filter((rule) => !rule.resources.includes('customresourcedefinitions'));
    assert.deepEqual(configurationRules, [
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['validatingwebhookconfigurations'],
        resourceNames: [fullname],
        verbs: ['get', 'patch'],
      },
    ]);
  });

  it('deletes the CRDs, then allows deleting the configuration', () => {
    const config = parseArgs(containerOf(findObject(objects, 'Job', hookName)).args);
    assert.equal(config.keepCrds, false);
    assert.equal(config.allowWebhookConfigDeletion, true);
    assert.equal(config.webhookConfigName, fullname);
  });

  it('runs the uninstall command as the hook account', () => {
    const job = findObject(objects, 'Job', hookName);
    assert.equal(podSpecOf(job).serviceAccountName, hookName);
    assert.equal(parseArgs(containerOf(job).args).command, 'uninstall');
    assert.equal(containerOf(job).image, 'inference-extension-crds:0.1.0');
    assert.equal(containerOf(job).securityContext.readOnlyRootFilesystem, true);
    assert.equal(podSpecOf(job).securityContext.runAsNonRoot, true);
  });
});

describe('values schema', () => {
  async function templateError(args: readonly string[]): Promise<string> {
    const result = await helm(binDir, ['template', release, chartPath, ...args]);
    assert.notEqual(result.code, 0, 'helm template succeeded');
    return result.stderr;
  }

  it('rejects a wrong type', async () => {
    assert.match(await templateError(['--set', 'replicas=two']), /at '\/replicas': got string, want integer/);
  });

  it('rejects a string for a boolean', async () => {
    assert.match(await templateError(['--set-string', 'keepOnUninstall=no']), /at '\/keepOnUninstall': got string, want boolean/);
  });

  it('rejects an unknown top-level key', async () => {
    assert.match(await templateError(['--set', 'replica=2']), /additional properties 'replica' not allowed/);
  });

  it('rejects an unknown nested key', async () => {
    const message = await templateError(['--set', 'webhook.failurepolicy=Fail']);
    assert.match(message, /at '\/webhook': additional properties 'failurepolicy' not allowed/);
  });

  it('rejects a value outside its enum', async () => {
    assert.match(await templateError(['--set', 'webhook.failurePolicy=Sometimes']), /at '\/webhook\/failurePolicy'/);
  });

  it('rejects zero replicas', async () => {
    assert.match(await templateError(['--set', 'replicas=0']), /at '\/replicas': minimum: got 0, want 1/);
  });

  it('rejects a base64 caBundle', async () => {
    assert.match(await templateError(['--set', 'certificates.caBundle=TFMwdExTMUNSVWRK']), /at '\/certificates\/caBundle'/);
  });

  it('rejects existingSecret without a Secret name', async () => {
    const message = await templateError(['--set', 'certificates.source=existingSecret']);
    assert.match(message, /certificates.existingSecret.name is required when certificates.source is existingSecret/);
  });
});

// Dotted paths of the scalars, lists and empty maps in values.yaml.
function leafPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0) {
    return [prefix];
  }
  return Object.entries(value).flatMap(([key, child]) => leafPaths(child, prefix === '' ? key : `${prefix}.${key}`));
}

function hasPath(value: unknown, path: string): boolean {
  let current = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || !(key in current)) return false;
    current = (current as Record<string, unknown>)[key];
  }
  return true;
}

describe('chart README', () => {
  let values: unknown;
  let rows: string[];
  before(async () => {
    values = yaml.load(await readFile(join(chartPath, 'values.yaml'), 'utf8'));
    const readme = await readFile(join(chartPath, 'README.md'), 'utf8');
    rows = [...readme.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1] as string);
  });

  it('documents every value in the table', () => {
    for (const path of leafPaths(values)) {
      const parts = path.split('.');
      const documented = parts.some((_part, index) => rows.includes(parts.slice(0, index + 1).join('.')));
      assert.ok(documented, `README values table has no row for ${path}`);
    }
  });

  it('documents no value that does not exist', () => {
    for (const row of rows) assert.ok(hasPath(values, row), `README documents ${row}, which values.yaml lacks`);
  });
});

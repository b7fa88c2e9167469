// Renders the chart with the values for the webhook guard policy, pod
// shutdown, metrics and certificate lifetimes, and checks what they produce.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { parseCommandLine, type Config } from '../../src/config/parse.ts';
import { ConfigError } from '../../src/errors.ts';
import { ensureBinaries } from '../controlplane/controlplane.ts';
import {
  chartPath,
  containerOf,
  findObject,
  helm,
  kindsOf,
  podSpecOf,
  renderChart,
  type RenderedObject,
} from './helm.ts';

const release = 'guard';
const namespace = 'guard-system';
const fullname = 'guard-inference-extension-crds';
const policyName = `${fullname}-webhook-guard`;
const testedPolicyUrl = new URL('../e2e/webhook-guard-policy.yaml', import.meta.url);

let binDir: string;
let defaults: RenderedObject[];

function parseArgs(args: readonly string[]): Config {
  const parsed = parseCommandLine(args, { POD_NAMESPACE: namespace });
  assert.equal(parsed.kind, 'run');
  return (parsed as { config: Config }).config;
}

function serveConfig(objects: readonly RenderedObject[]): Config {
  return parseArgs(containerOf(findObject(objects, 'Deployment')).args);
}

interface PodLifecycle {
  terminationGracePeriodSeconds: number;
  containers: { lifecycle?: { preStop?: { sleep?: { seconds: number } } } }[];
}

function lifecycleOf(objects: readonly RenderedObject[]): PodLifecycle {
  return podSpecOf(findObject(objects, 'Deployment')) as unknown as PodLifecycle;
}

function podAnnotationsOf(objects: readonly RenderedObject[]): Record<string, string> | undefined {
  const spec = findObject(objects, 'Deployment').spec as {
    template: { metadata: { annotations?: Record<string, string> } };
  };
  return spec.template.metadata.annotations;
}

// The objects of the policy file that test/e2e/webhook-guard-policy.test.ts
// applies to the API server, named for this test's release.
async function testedPolicy(): Promise<RenderedObject[]> {
  const text = (await readFile(testedPolicyUrl, 'utf8')).replaceAll('CONFIGURATION_NAME', fullname);
  return yaml.loadAll(text) as RenderedObject[];
}

async function templateError(args: readonly string[]): Promise<string> {
  const result = await helm(binDir, ['template', release, chartPath, ...args]);
  assert.notEqual(result.code, 0, 'helm template succeeded');
  return result.stderr;
}

before(async () => {
  binDir = await ensureBinaries();
  defaults = await renderChart(binDir, [], release, namespace);
});

describe('webhook guard policy template', () => {
  for (const kind of ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']) {
    it(`renders the tested ${kind} spec`, async () => {
      const tested = findObject(await testedPolicy(), kind);
      const rendered = findObject(defaults, kind, policyName);
      assert.deepEqual(rendered.spec, tested.spec);
    });

    it(`names the ${kind} after the release`, async () => {
      const tested = findObject(await testedPolicy(), kind);
      const rendered = findObject(defaults, kind, policyName);
      assert.equal(rendered.metadata.name, tested.metadata.name);
      assert.equal(rendered.metadata.labels?.['app.kubernetes.io/instance'], release);
    });
  }

  it('guards the configuration the chart renders', () => {
    const policy = findObject(defaults, 'ValidatingAdmissionPolicy', policyName);
    const rules = (policy.spec as { matchConstraints: { resourceRules: { resourceNames: string[] }[] } })
      .matchConstraints.resourceRules;
    const configuration = findObject(defaults, 'ValidatingWebhookConfiguration');
    assert.deepEqual(rules[0]?.resourceNames, [configuration.metadata.name]);
  });

  it('is left out with guardWebhookConfiguration false', async () => {
    const objects = await renderChart(binDir, ['--set', 'guardWebhookConfiguration=false']);
    const policies = objects.filter((object) => object.kind.startsWith('ValidatingAdmissionPolicy'));
    assert.deepEqual(policies, []);
  });

  it('leaves no hook when neither guarding nor deleting CRDs', async () => {
    const objects = await renderChart(binDir, ['--set', 'guardWebhookConfiguration=false']);
    const hooks = objects.filter((object) => object.metadata.annotations?.['helm.sh/hook'] !== undefined);
    assert.deepEqual(kindsOf(hooks), []);
  });

  it('keeps the CRD-only hook when not guarding', async () => {
    const args = ['--set', 'guardWebhookConfiguration=false', '--set', 'keepOnUninstall=false'];
    const objects = await renderChart(binDir, args);
    const config = parseArgs(containerOf(findObject(objects, 'Job')).args);
    assert.equal(config.keepCrds, false);
    assert.equal(config.allowWebhookConfigDeletion, false);
  });

  it('confirms the deletion in the CRD-deleting hook', async () => {
    const objects = await renderChart(binDir, ['--set', 'keepOnUninstall=false']);
    assert.equal(parseArgs(containerOf(findObject(objects, 'Job')).args).yes, true);
  });

  it('leaves --yes out of the CRD-keeping hook', () => {
    assert.equal(parseArgs(containerOf(findObject(defaults, 'Job')).args).yes, false);
  });
});

describe('uninstall command line', () => {
  it('rejects --keep-crds without --allow-webhook-config-deletion', () => {
    assert.throws(
      () => parseCommandLine(['uninstall', '--keep-crds'], {}),
      (err) => err instanceof ConfigError && err.option === '--keep-crds',
    );
  });
});

describe('pod shutdown values', () => {
  it('sleep 5 s in preStop by default', () => {
    assert.equal(lifecycleOf(defaults).containers[0]?.lifecycle?.preStop?.sleep?.seconds, 5);
  });

  it('cover preStop, shutdown timeout and margin', () => {
    assert.equal(lifecycleOf(defaults).terminationGracePeriodSeconds, 5 + 20 + 5);
    assert.equal(serveConfig(defaults).shutdownTimeoutMs, 20_000);
  });

  it('follow preStopSleepSeconds and shutdownTimeoutSeconds', async () => {
    const args = ['--set', 'preStopSleepSeconds=8', '--set', 'shutdownTimeoutSeconds=40'];
    const objects = await renderChart(binDir, args);
    assert.equal(lifecycleOf(objects).containers[0]?.lifecycle?.preStop?.sleep?.seconds, 8);
    assert.equal(lifecycleOf(objects).terminationGracePeriodSeconds, 53);
    assert.equal(serveConfig(objects).shutdownTimeoutMs, 40_000);
  });

  it('drop the preStop hook at 0 seconds', async () => {
    const objects = await renderChart(binDir, ['--set', 'preStopSleepSeconds=0']);
    assert.equal(lifecycleOf(objects).containers[0]?.lifecycle, undefined);
    assert.equal(lifecycleOf(objects).terminationGracePeriodSeconds, 25);
  });
});

describe('metrics values', () => {
  it('serve plain HTTP metrics on port 9090 by default', () => {
    assert.equal(serveConfig(defaults).metricsPort, 9090);
    const ports = containerOf(findObject(defaults, 'Deployment')).ports ?? [];
    assert.equal(ports.find((port) => port.name === 'metrics')?.containerPort, 9090);
  });

  it('add no scrape annotations by default', () => {
    assert.equal(podAnnotationsOf(defaults)?.['prometheus.io/scrape'], undefined);
  });

  it('add scrape annotations next to podAnnotations', async () => {
    const args = ['--set', 'metrics.scrapeAnnotations=true', '--set', 'podAnnotations.team=platform'];
    const annotations = podAnnotationsOf(await renderChart(binDir, args));
    assert.deepEqual(annotations, {
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9090',
      'prometheus.io/path': '/metrics',
      team: 'platform',
    });
  });

  it('reject scrape annotations without a metrics port', async () => {
    const args = ['--set', 'metrics.scrapeAnnotations=true', '--set', 'metrics.port=0'];
    assert.match(await templateError(args), /metrics.scrapeAnnotations needs metrics.port above 0/);
  });
});

describe('certificate values', () => {
  it('pass the default lifetimes to serve', () => {
    const config = serveConfig(defaults);
    assert.equal(config.servingCertValidityMs, 604_800_000);
    assert.equal(config.caValidityMs, 31_536_000_000);
    assert.equal(config.certRenewalFraction, 0.67);
  });

  it('pass other lifetimes to serve', async () => {
    const objects = await renderChart(binDir, [
      '--set', 'certificates.servingCertValiditySeconds=86400',
      '--set', 'certificates.caValiditySeconds=315360000',
      '--set', 'certificates.renewalPercent=50',
    ]);
    const config = serveConfig(objects);
    assert.equal(config.servingCertValidityMs, 86_400_000);
    assert.equal(config.caValidityMs, 315_360_000_000);
    assert.equal(config.certRenewalFraction, 0.5);
  });

  it('reject a CA shorter than the serving certificate', async () => {
    const args = ['--set', 'certificates.caValiditySeconds=3600', '--set', 'certificates.servingCertValiditySeconds=7200'];
    assert.match(await templateError(args), /caValiditySeconds must be at least/);
  });

  it('reject a renewal percent above 90', async () => {
    assert.match(await templateError(['--set', 'certificates.renewalPercent=95']), /at '\/certificates\/renewalPercent'/);
  });
});

// Runs `install` and `status` as a user would: src/main.ts in a child process
// with --kubeconfig, reading stdout and the exit code.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { crdNames, loadBuiltInBundle } from '../../src/crds/bundle.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import {
  createCrd,
  createInferencePool,
  deleteCrds,
  ensureNamespace,
  inferenceGroup,
  nameClaimingCrd,
  waitForCrdEstablished,
} from '../support/crds.ts';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const namespace = 'crds-cli-test';
const gaPools = 'inferencepools.inference.networking.k8s.io';
const fixture = (version: string) =>
  fileURLToPath(new URL(`../fixtures/bundles/${version}/`, import.meta.url));

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const cluster: TestCluster = await useCluster();
let names: string[];

// Options from the test runner's environment must not leak into the command.
function commandEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('INFERENCE_CRDS_') || key === 'KUBECONFIG') delete env[key];
  }
  return env;
}

async function run(...args: string[]): Promise<RunResult> {
  const argv = [
    'src/main.ts',
    ...args,
    '--kubeconfig',
    cluster.kubeconfigPath,
    '--connect-timeout',
    '10',
  ];
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, argv, {
      cwd: repoRoot,
      env: commandEnv(),
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failure = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

function statusRow(stdout: string, name: string): string[] {
  const row = lines(stdout).find((line) => line.startsWith(`${name} `));
  assert.ok(row, `no row for ${name} in:\n${stdout}`);
  return row.split(/\s+/);
}

before(async () => {
  names = crdNames(await loadBuiltInBundle());
  await ensureNamespace(cluster, namespace);
});

beforeEach(async () => {
  await deleteCrds(cluster, names);
});

afterEach(async () => {
  await deleteCrds(cluster, names);
});

describe('install command', () => {
  it('prints one created line per CRD', async () => {
    const result = await run('install');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      lines(result.stdout).map((line) => line.split(/\s+/)),
      names.map((name) => [name, 'created']),
    );
  });

  it('writes its logs to stderr as JSON', async () => {
    const result = await run('install');
    const messages = lines(result.stderr).map((line) => (JSON.parse(line) as { msg: string }).msg);
    assert.ok(messages.includes('crd bundle installed'), messages.join(', '));
  });

  it('prints upgraded from the previous version', async () => {
    assert.equal((await run('install', '--bundle', fixture('v1.2.0'))).code, 0);
    const result = await run('install');
    assert.equal(result.code, 0, result.stderr);
    for (const line of lines(result.stdout)) assert.match(line, /^\S+ +upgraded from v1\.2\.0$/);
  });

  it('prints unchanged on a second run', async () => {
    assert.equal((await run('install')).code, 0);
    const result = await run('install');
    for (const line of lines(result.stdout)) assert.match(line, /^\S+ +unchanged$/);
  });

  it('prints skipped for a newer version', async () => {
    assert.equal((await run('install', '--bundle', fixture('v1.4.0'))).code, 0);
    const result = await run('install');
    assert.equal(result.code, 0, result.stderr);
    for (const line of lines(result.stdout))
      assert.match(line, /^\S+ +skipped: newer v1\.4\.0 installed$/);
  });

  it('prints skipped: exists with --skip-if-exists', async () => {
    assert.equal((await run('install', '--bundle', fixture('v1.2.0'))).code, 0);
    const result = await run('install', '--skip-if-exists');
    for (const line of lines(result.stdout)) assert.match(line, /^\S+ +skipped: exists$/);
  });

  it('exits 1 when a CRD is not Established', async () => {
    const decoy = nameClaimingCrd(inferenceGroup, 'infpool');
    await createCrd(cluster, decoy);
    try {
      await waitForCrdEstablished(cluster, decoy.metadata!.name!);
      const result = await run('install', '--establish-timeout', '2');
      assert.equal(result.code, 1);
      assert.match(
        result.stdout,
        new RegExp(`^${gaPools.replaceAll('.', '\\.')} +created, not established$`, 'm'),
      );
      assert.match(result.stderr, /ERR_CRD_NOT_ESTABLISHED/);
    } finally {
      await deleteCrds(cluster, [decoy.metadata!.name!]);
    }
  });

  it('exits 1 for a bundle path that does not exist', async () => {
    const result = await run('install', '--bundle', fixture('v0.0.0-missing'));
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /ERR_INVALID_BUNDLE/);
  });
});

describe('status command', () => {
  it('prints the table header', async () => {
    const result = await run('status');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(result.stdout)[0]?.split(/\s+/), [
      'NAME',
      'INSTALLED',
      'VERSION',
      'SERVED',
      'ESTABLISHED',
      'KEEP',
      'OBJECTS',
    ]);
  });

  it('shows CRDs that are not installed', async () => {
    const result = await run('status');
    assert.deepEqual(statusRow(result.stdout, gaPools), [gaPools, 'no', '-', '-', '-', '-', '-']);
  });

  it('shows installed CRDs with their object count', async () => {
    assert.equal((await run('install', '--no-keep-on-uninstall')).code, 0);
    await createInferencePool(cluster, inferenceGroup, namespace, 'pool-one');
    await createInferencePool(cluster, inferenceGroup, namespace, 'pool-two');
    const result = await run('status');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(statusRow(result.stdout, gaPools), [
      gaPools,
      'yes',
      'v1.3.0',
      'v1',
      'yes',
      'false',
      '2',
    ]);
  });

  it('reads the CRD names from --bundle', async () => {
    const result = await run('status', '--bundle', fixture('v1.2.0'));
    assert.equal(lines(result.stdout).length, names.length + 1);
  });
});

describe('--help', () => {
  it('lists the install options', async () => {
    const result = await run('install', '--help');
    assert.equal(result.code, 0);
    assert.match(result.stdout, /--skip-if-exists/);
  });
});

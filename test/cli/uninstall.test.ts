// Runs `uninstall` as a user would: src/main.ts in a child process against
// the test control plane, with and without --yes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { crdNames, loadBuiltInBundle } from '../../src/crds/bundle.ts';
import { keepOnUninstallAnnotation } from '../../src/crds/metadata.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import {
  createInferencePool,
  deleteCrds,
  ensureNamespace,
  inferenceGroup,
  readCrd,
} from '../support/crds.ts';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const namespace = 'crds-cli-uninstall-test';
const gaPools = 'inferencepools.inference.networking.k8s.io';

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
  const connection = ['--kubeconfig', cluster.kubeconfigPath, '--connect-timeout', '10'];
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      ['src/main.ts', ...args, ...connection],
      { cwd: repoRoot, env: commandEnv(), timeout: 120_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failure = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

before(async () => {
  names = crdNames(await loadBuiltInBundle());
  await deleteCrds(cluster, names);
  await ensureNamespace(cluster, namespace);
  const installed = await run('install', '--log-level', 'warn');
  assert.equal(installed.code, 0, installed.stderr);
  await createInferencePool(cluster, inferenceGroup, namespace, 'pool-one');
  await createInferencePool(cluster, inferenceGroup, namespace, 'pool-two');
});

after(async () => {
  await deleteCrds(cluster, names);
});

describe('uninstall without --yes', () => {
  let result: RunResult;

  before(async () => {
    result = await run('uninstall', '--log-level', 'warn');
  });

  it('exits with code 2', () => {
    assert.equal(result.code, 2, result.stderr);
  });

  it('lists each CRD it would delete', () => {
    for (const name of names) assert.match(result.stderr, new RegExp(`\\b${name}\\b`));
  });

  it('counts the objects of each CRD', () => {
    assert.match(result.stderr, new RegExp(`${gaPools}  \\(2 objects\\)`));
  });

  it('asks for --yes', () => {
    assert.match(result.stderr, /Add --yes to delete them/);
  });

  it('leaves every CRD in place', async () => {
    for (const name of names) assert.ok(await readCrd(cluster, name), `${name} was deleted`);
  });

  it('leaves keep-on-uninstall unchanged', async () => {
    const crd = await readCrd(cluster, gaPools);
    assert.equal(crd?.metadata?.annotations?.[keepOnUninstallAnnotation], 'true');
  });
});

describe('uninstall with --yes', () => {
  // The API server removes a deleted CRD only after its objects, so a CRD
  // may still be there, marked for deletion.
  it('deletes every CRD', async () => {
    const result = await run('uninstall', '--yes', '--log-level', 'warn');
    assert.equal(result.code, 0, result.stderr);
    for (const name of names) {
      const crd = await readCrd(cluster, name);
      assert.ok(crd === undefined || crd.metadata?.deletionTimestamp !== undefined, name);
    }
  });
});

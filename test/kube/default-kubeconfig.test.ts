// Commands run without any kubeconfig: no --kubeconfig, KUBECONFIG unset, a
// HOME without .kube/config and no in-cluster service account.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const mainPath = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
// Generous, because the failure this guards against is a retry loop of --connect-timeout.
const deadlineMs = 60_000;

let home: string;

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'inference-crds-empty-home-'));
});

after(() => rm(home, { recursive: true, force: true }));

function environmentWithoutKubeconfig(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.KUBECONFIG;
  delete env.KUBERNETES_SERVICE_HOST;
  return env;
}

interface Outcome {
  readonly code: number | null;
  readonly stderr: string;
}

function runCommand(args: readonly string[]): Promise<Outcome> {
  const child = spawn(process.execPath, [mainPath, ...args], {
    env: environmentWithoutKubeconfig(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const chunks: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

describe('missing default kubeconfig', () => {
  it('makes status exit 1 with a clear error', async () => {
    const outcome = await runCommand(['status']);
    assert.equal(outcome.code, 1, outcome.stderr);
    assert.match(outcome.stderr, /no kubeconfig found: set --kubeconfig or KUBECONFIG/);
  });
});

// Runs the product's CLI as a child process against the test cluster, with
// the credentials of a ServiceAccount that the chart created.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { AuthorizationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { writeTokenKubeconfig, type TestCluster } from '../support/cluster.ts';
import type { CommandResult } from '../support/kubectl.ts';

const mainPath = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const readyTimeoutMs = 120_000;

/** Requests a one-hour token for a ServiceAccount and writes a kubeconfig that uses only it. */
export async function serviceAccountKubeconfig(cluster: TestCluster, namespace: string, name: string): Promise<string> {
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  const body = { spec: { audiences: [], expirationSeconds: 3600 } };
  const response = await core.createNamespacedServiceAccountToken({ namespace, name, body });
  const token = response.status?.token;
  if (token === undefined) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  return writeTokenKubeconfig(cluster, token, `${namespace}-${name}`);
}

function spawnCli(args: readonly string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [mainPath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs one CLI command to completion and resolves with its exit code and output, even on failure. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CommandResult> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr })));
}

/** A running `serve` process. */
export interface ServeProcess {
  /** Everything the process wrote so far, for failure messages. */
  output(): string;
  /** Sends SIGTERM and waits for the process to exit. */
  stop(): Promise<void>;
}

// Resolves with the status of GET /readyz, or 0 when the connection fails.
function readyStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const options = { host: '127.0.0.1', port, path: '/readyz', rejectUnauthorized: false, timeout: 2000 };
    const req = request(options, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Starts `serve` and waits until /readyz on `port` returns 200. Throws with its output otherwise. */
export async function startServe(args: readonly string[], port: number, env: Record<string, string>): Promise<ServeProcess> {
  const child = spawnCli(args, env);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const serve: ServeProcess = {
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  const deadline = Date.now() + readyTimeoutMs;
  while ((await readyStatus(port)) !== 200) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await serve.stop();
      throw new Error(`serve did not become ready on port ${port}:\n${output}`);
    }
    await sleep(250);
  }
  return serve;
}

/** Polls `check` every 250 ms until it returns true. Throws naming `what` after a minute. */
export async function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(250);
  }
}

export interface ResourceAttributes {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
}

/**
 * Asks the API server's authorizer whether `user` may act on a resource,
 * through a SubjectAccessReview. Unlike `kubectl auth can-i`, it needs no
 * discovery, so it also works for kinds whose CRD is not installed.
 */
export async function isAllowed(cluster: TestCluster, user: string, attributes: ResourceAttributes): Promise<boolean> {
  const api = cluster.kubeConfig.makeApiClient(AuthorizationV1Api);
  const groups = ['system:serviceaccounts', 'system:authenticated'];
  const body = { spec: { user, groups, resourceAttributes: attributes } };
  const review = await api.createSubjectAccessReview({ body });
  return review.status?.allowed === true;
}

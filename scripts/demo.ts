// `npm run demo`: starts a local control plane, runs `serve` against it, and
// shows `kubectl delete crd` being rejected while an InferencePool exists.
// It keeps serving until Ctrl-C, then stops everything it started.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { runServe } from '../src/cli/serve.ts';
import { parseCommandLine, type Config } from '../src/config/parse.ts';
import { createLogger } from '../src/logger.ts';
import {
  freePort,
  startControlPlane,
  type ControlPlane,
} from '../test/controlplane/controlplane.ts';

const poolCrd = 'inferencepools.inference.networking.k8s.io';
const readyTimeoutMs = 180_000;

const examplePool = {
  apiVersion: 'inference.networking.k8s.io/v1',
  kind: 'InferencePool',
  metadata: { name: 'vllm-llama3-8b', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'vllm-llama3-8b' } },
    targetPorts: [{ number: 8000 }],
    endpointPickerRef: { name: 'vllm-llama3-8b-epp', port: { number: 9002 } },
  },
};

interface CommandOutput {
  readonly code: number;
  readonly output: string;
}

function runKubectl(
  controlPlane: ControlPlane,
  args: readonly string[],
  input?: string,
): Promise<CommandOutput> {
  const binary = join(controlPlane.binDir, 'kubectl');
  const fullArgs = ['--kubeconfig', controlPlane.kubeconfigPath, ...args];
  return new Promise((resolve) => {
    const child = execFile(binary, fullArgs, (err, stdout, stderr) => {
      let code = 0;
      if (err !== null) code = typeof err.code === 'number' ? err.code : 1;
      resolve({ code, output: `${stdout}${stderr}`.trimEnd() });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

function serveArguments(controlPlane: ControlPlane, port: number): string[] {
  return [
    'serve',
    `--kubeconfig=${controlPlane.kubeconfigPath}`,
    '--listen-address=127.0.0.1',
    `--port=${port}`,
    `--cert-dir=${join(controlPlane.dataDir, 'certs')}`,
    '--cert-dns-names=localhost',
    '--cert-ip-addresses=127.0.0.1',
    `--webhook-url=https://127.0.0.1:${port}/validate`,
  ];
}

function readyzStatus(port: number, ca: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

// Polls /readyz until it returns 200; fails early when `serve` has ended.
async function waitUntilReady(config: Config, serving: { ended: boolean }): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline && !serving.ended) {
    const ca = await readFile(join(config.certDir, 'ca.crt'), 'utf8').catch(() => undefined);
    if (ca !== undefined && (await readyzStatus(config.port, ca)) === 200) return;
    await sleep(500);
  }
  throw new Error(`serve was not ready within ${readyTimeoutMs / 1000} s; see its log`);
}

function printNextSteps(controlPlane: ControlPlane, logPath: string): void {
  const kubectl = join(controlPlane.binDir, 'kubectl');
  console.log('');
  console.log('The webhook keeps serving. Try, in another terminal:');
  console.log(`  export KUBECONFIG=${controlPlane.kubeconfigPath}`);
  console.log(`  ${kubectl} get ${poolCrd} --all-namespaces`);
  console.log(`  ${kubectl} delete crd ${poolCrd} --dry-run=server`);
  console.log(`  ${kubectl} delete ${poolCrd} ${examplePool.metadata.name}`);
  console.log(`  ${kubectl} delete crd ${poolCrd}`);
  console.log('');
  console.log(`kubeconfig: ${controlPlane.kubeconfigPath}`);
  console.log(`serve log:  ${logPath}`);
  console.log('Press Ctrl-C to stop the webhook and the control plane.');
  console.log('Their data is removed on exit.');
}

async function showRejectedDelete(controlPlane: ControlPlane): Promise<void> {
  const created = await runKubectl(controlPlane, ['apply', '-f', '-'], JSON.stringify(examplePool));
  if (created.code !== 0) {
    throw new Error(`creating the example InferencePool failed: ${created.output}`);
  }
  console.log(`$ kubectl apply -f - (InferencePool default/${examplePool.metadata.name})`);
  console.log(created.output);
  console.log('');
  console.log(`$ kubectl delete crd ${poolCrd}`);
  const deleted = await runKubectl(controlPlane, ['delete', 'crd', poolCrd]);
  console.log(deleted.output);
  console.log(`(kubectl exited with code ${deleted.code})`);
}

async function demo(controlPlane: ControlPlane): Promise<number> {
  const port = await freePort();
  const parsed = parseCommandLine(serveArguments(controlPlane, port), {});
  if (parsed.kind !== 'run') throw new Error('the demo built serve arguments that do not parse');
  const logPath = join(controlPlane.dataDir, 'serve.log');
  const logger = createLogger('info', pino.destination({ dest: logPath, sync: true }));

  console.log('starting: inference-extension-crds ' + serveArguments(controlPlane, port).join(' '));
  const serving = { ended: false };
  const served = runServe(parsed.config, logger).finally(() => (serving.ended = true));
  let failed = false;
  try {
    await waitUntilReady(parsed.config, serving);
    console.log('webhook ready; CRD bundle installed\n');
    await showRejectedDelete(controlPlane);
    printNextSteps(controlPlane, logPath);
  } catch (err) {
    console.error(`demo failed: ${(err as Error).message}`);
    console.error(`serve log: ${logPath}`);
    failed = true;
    // runServe stops on SIGTERM, as it would in a pod.
    process.kill(process.pid, 'SIGTERM');
  }
  const code = await served;
  return failed ? 1 : code;
}

console.log('starting a local etcd and kube-apiserver on 127.0.0.1 (the first run builds them)');
const controlPlane = await startControlPlane();
let exitCode = 1;
try {
  exitCode = await demo(controlPlane);
} catch (err) {
  console.error(`serve failed: ${(err as Error).message}`);
} finally {
  console.log('stopping the control plane');
  await controlPlane.stop();
}
process.exitCode = exitCode;

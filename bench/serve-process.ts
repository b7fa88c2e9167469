// Runs `node src/main.ts serve` as a user would, against the bench's control
// plane, and reads its readiness and resident memory from outside.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/controlplane/controlplane.ts';

const mainPath = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const readyTimeoutMs = 120_000;
const pollIntervalMs = 10;
const stopTimeoutMs = 30_000;

// Serve processes still running. They are sent SIGTERM when the bench exits
// early, since nothing else would stop them.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});

export interface ServeOptions {
  readonly kubeconfigPath: string;
  /** Folder for the generated certificates; an empty one makes serve generate them. */
  readonly certDir: string;
  readonly webhookConfigName: string;
}

export interface ServeProcess {
  readonly port: number;
  readonly pid: number;
  /** Milliseconds from spawning the process to the first 200 from /readyz. */
  readonly readyMs: number;
  /** PEM CA of the serving certificate. */
  readonly ca: string;
  stop(): Promise<void>;
}

/** GETs a path; resolves with status 0 when the connection fails. */
function get(port: number, path: string, ca: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, ca, timeout: 2000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() });
      });
    });
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Polls /readyz until it returns 200, then resolves with the CA that signed the certificate. */
async function waitUntilReady(child: ChildProcess, port: number, certDir: string): Promise<string> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serve exited with code ${child.exitCode}`);
    const ca = await readFile(join(certDir, 'ca.crt'), 'utf8').catch(() => undefined);
    if (ca !== undefined && (await get(port, '/readyz', ca)).status === 200) return ca;
    await sleep(pollIntervalMs);
  }
  throw new Error(`serve was not ready within ${readyTimeoutMs} ms`);
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
  await exited;
  clearTimeout(timer);
}

/** Starts serve and resolves once /readyz returns 200; its stdout is discarded. */
export async function startServe(options: ServeOptions): Promise<ServeProcess> {
  const port = await freePort();
  const args = [
    mainPath,
    'serve',
    `--kubeconfig=${options.kubeconfigPath}`,
    '--listen-address=127.0.0.1',
    `--port=${port}`,
    `--cert-dir=${options.certDir}`,
    `--webhook-config-name=${options.webhookConfigName}`,
    `--webhook-url=https://127.0.0.1:${port}/validate`,
  ];
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  let ca: string;
  try {
    ca = await waitUntilReady(child, port, options.certDir);
  } catch (err) {
    await stopChild(child, exited);
    throw err;
  }
  const readyMs = performance.now() - started;
  return { port, pid: child.pid ?? 0, readyMs, ca, stop: () => stopChild(child, exited) };
}

/** Returns the resident set size of a process in MiB, from VmRSS in /proc/PID/status. */
export async function residentMemoryMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS line in /proc/${pid}/status`);
  return Number(kib) / 1024;
}

/**
 * Returns the V8 heap in use in MiB, from nodejs_heap_size_used_bytes on
 * GET /metrics, or undefined when serve does not serve that metric.
 */
export async function heapUsedMiB(serve: ServeProcess): Promise<number | undefined> {
  const { status, text } = await get(serve.port, '/metrics', serve.ca);
  if (status !== 200) return undefined;
  const value = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1];
  return value === undefined ? undefined : Number(value) / 1024 / 1024;
}

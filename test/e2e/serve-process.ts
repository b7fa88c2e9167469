// Runs `inference-extension-crds serve` as a child process, the way a user or a
// container would, and waits for its readiness probe.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const mainPath = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const readyTimeoutMs = 120_000;
const exitTimeoutMs = 60_000;

export interface ServeProcess {
  readonly child: ChildProcess;
  /** Parsed JSON log lines written so far. */
  readonly logs: Record<string, unknown>[];
  /** Text of every log line, for failure messages. */
  logText(): string;
  /** Resolves with the exit code once the process has ended and its output is read. */
  readonly exited: Promise<number | null>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

function parseLogLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Starts serve with `args` after the command; its logs are collected from stdout. */
export function startServe(args: readonly string[]): ServeProcess {
  const child = spawn(process.execPath, [mainPath, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  const raw: string[] = [];
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      raw.push(line);
      const parsed = parseLogLine(line);
      if (parsed !== undefined) logs.push(parsed);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => raw.push(chunk.toString('utf8')));
  // 'close' waits for stdout to drain, so `logs` is complete once it fires.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    logs,
    exited,
    logText: () => raw.join('\n'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), exitTimeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Returns the status of GET /readyz, or 0 when the connection fails. */
export function readyzStatus(port: number, ca: string): Promise<number> {
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

/** Polls /readyz until 200; throws with the process logs when it exits or times out. */
export async function waitUntilReady(serve: ServeProcess, port: number, certDir: string): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (serve.child.exitCode !== null) {
      throw new Error(`serve exited with code ${serve.child.exitCode}:\n${serve.logText()}`);
    }
    const ca = await readFile(join(certDir, 'ca.crt'), 'utf8').catch(() => undefined);
    if (ca !== undefined && (await readyzStatus(port, ca)) === 200) return;
    await sleep(250);
  }
  throw new Error(`serve was not ready within ${readyTimeoutMs} ms:\n${serve.logText()}`);
}

// Starts bench/target.ts in a child process and waits for its port.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TargetSpec } from './target.ts';

const targetPath = fileURLToPath(new URL('./target.ts', import.meta.url));
const startTimeoutMs = 60_000;

export interface Target {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('target did not start in time')),
      startTimeoutMs,
    );
    child.once('message', (message: { port?: unknown }) => {
      clearTimeout(timer);
      if (typeof message.port === 'number' && message.port > 0) resolve(message.port);
      else reject(new Error(`target sent no port: ${JSON.stringify(message)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`target exited with code ${code} before listening`));
    });
  });
}

/** Starts a target server; stdout is discarded, stderr goes to the terminal. */
export async function startTarget(spec: TargetSpec): Promise<Target> {
  const child = spawn(process.execPath, [targetPath, JSON.stringify(spec)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const port = await waitForPort(child);
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    };
    return { port, pid: child.pid ?? 0, stop };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

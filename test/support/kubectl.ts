import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestCluster } from './cluster.ts';

const execFileAsync = promisify(execFile);

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the control plane's own kubectl against the test cluster; never throws on a non-zero exit. */
export async function kubectl(cluster: TestCluster, args: readonly string[], input?: string): Promise<CommandResult> {
  const binary = join(cluster.binDir, 'kubectl');
  const child = execFileAsync(binary, ['--kubeconfig', cluster.kubeconfigPath, ...args], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failure = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failure.code === 'number' ? failure.code : 1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

// Usage errors as a user sees them: src/main.ts in a child process, with no
// cluster, because the command line is rejected before any API request.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

interface RunResult {
  readonly code: number;
  readonly stderr: string;
}

async function run(...args: string[]): Promise<RunResult> {
  try {
    const { stderr } = await execFileAsync(process.execPath, ['src/main.ts', ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH },
    });
    return { code: 0, stderr };
  } catch (err) {
    const failure = err as { code?: number; stderr?: string };
    return { code: failure.code ?? -1, stderr: failure.stderr ?? '' };
  }
}

describe('usage errors', () => {
  it('exit with code 2', async () => {
    assert.equal((await run('status', '--bogus')).code, 2);
  });

  it('name the unknown option and the command', async () => {
    const { stderr } = await run('status', '--bogus');
    assert.match(stderr, /^inference-extension-crds: unknown option --bogus for command status$/m);
  });

  it('point to the help of the named command', async () => {
    const { stderr } = await run('status', '--bogus');
    assert.match(stderr, /Run "inference-extension-crds status --help" for usage\./);
  });

  it('point to the overview without a command', async () => {
    const { stderr } = await run('--bogus');
    assert.match(stderr, /Run "inference-extension-crds --help" for usage\./);
  });

  it('report the range of a negative port', async () => {
    const { stderr } = await run('serve', '--port', '-1');
    assert.match(stderr, /invalid value for --port: "-1"; expected an integer from 0 to 65535/);
  });
});

// The process-level handlers, in a child process of their own, because they
// change how the whole process treats stray errors.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const handlers = new URL('../../src/cli/process-handlers.ts', import.meta.url).href;
const logger = new URL('../../src/logger.ts', import.meta.url).href;

interface Run {
  readonly code: number;
  readonly lines: Record<string, unknown>[];
  readonly stdout: string;
}

// Runs `body` as an ES module after installing the handlers with a JSON logger on stdout.
async function runWithHandlers(body: string): Promise<Run> {
  const script = [
    `import { installProcessHandlers } from '${handlers}';`,
    `import { createLogger } from '${logger}';`,
    "installProcessHandlers(createLogger('info'));",
    body,
  ].join('\n');
  let result: { stdout: string; code: number };
  try {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--input-type=module', '-e', script],
      { timeout: 30_000 },
    );
    result = { stdout, code: 0 };
  } catch (err) {
    const failure = err as { stdout?: string; code?: number };
    result = {
      stdout: failure.stdout ?? '',
      code: typeof failure.code === 'number' ? failure.code : -1,
    };
  }
  const lines = result.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { ...result, lines };
}

describe('installProcessHandlers', () => {
  it('logs an unhandled rejection and keeps running', async () => {
    const run = await runWithHandlers(
      [
        "Promise.reject(new Error('stray rejection'));",
        "setTimeout(() => console.log('still running'), 200);",
      ].join('\n'),
    );
    const logged = run.lines.find((line) => line.msg === 'unhandled promise rejection');
    assert.equal(run.code, 0);
    assert.equal(logged?.level, 'error');
    assert.equal((logged?.err as { message?: string })?.message, 'stray rejection');
    assert.match(run.stdout, /still running/);
  });

  it('logs an uncaught exception and exits 1', async () => {
    const run = await runWithHandlers(
      "setTimeout(() => { throw new Error('stray exception'); }, 10);",
    );
    const logged = run.lines.find((line) => line.msg === 'uncaught exception');
    assert.equal(run.code, 1);
    assert.equal(logged?.level, 'fatal');
    assert.equal((logged?.err as { message?: string })?.message, 'stray exception');
  });
});

// A logger that keeps its JSON lines in memory, so tests can assert on logs.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.ts';

export interface CapturedLogs {
  readonly logger: Logger;
  /** Parsed log lines, oldest first. */
  readonly lines: Record<string, unknown>[];
}

export function captureLogs(): CapturedLogs {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { logger: createLogger('debug', stream), lines };
}

// A real pino logger whose JSON lines tests can read back.
import { createLogger, type Logger } from '../../src/logger.ts';

/** One parsed log line. */
export type LogEntry = Record<string, unknown> & { readonly msg: string; readonly level: string };

export interface CapturedLogs {
  readonly logger: Logger;
  /** Every line logged so far, parsed. */
  entries(): LogEntry[];
  /** The lines with the given message. */
  withMessage(msg: string): LogEntry[];
}

/** Creates a logger at debug level that keeps its lines in memory. */
export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
  const entries = () => lines.map((line) => JSON.parse(line) as LogEntry);
  return { logger, entries, withMessage: (msg) => entries().filter((entry) => entry.msg === msg) };
}

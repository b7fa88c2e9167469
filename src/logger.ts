import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * Creates the process logger: JSON lines on stdout, errors serialized under
 * `err`, and ISO timestamps so that lines from several replicas sort together.
 */
export function createLogger(level: LevelWithSilent, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'inference-extension-crds' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.err },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

// Process-level handlers for errors that no caller caught. A promise rejected
// with no handler is logged and the process keeps serving, because every loop
// of the service (renewal, caBundle sync, install) catches its own failures
// and a stray rejection reveals nothing about the state of the others. An
// uncaught exception leaves the state unknown, so it is logged and the process
// exits with code 1, to be restarted.
import type { Logger } from '../logger.ts';

/** Installs the handlers; the returned function removes them. */
export function installProcessHandlers(logger: Logger): () => void {
  const onRejection = (reason: unknown) => {
    logger.error({ err: reason }, 'unhandled promise rejection');
  };
  const onException = (err: Error) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.removeListener('unhandledRejection', onRejection);
    process.removeListener('uncaughtException', onException);
  };
}

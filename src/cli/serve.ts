import type { Config } from '../config/parse.ts';
import type { Logger } from '../logger.ts';
import { startWebhookService } from '../server/service.ts';
import { loadConfiguredBundle } from './bundle-source.ts';
import { clientsFor } from './clients.ts';
import { installProcessHandlers } from './process-handlers.ts';

type StopReason = { readonly signal: NodeJS.Signals } | { readonly error: unknown };

// Time allowed after --shutdown-timeout for the rest of the shutdown: closing
// the metrics server and finishing a running renewal or caBundle write.
const exitGraceMs = 5_000;

// Resolves on the first SIGTERM or SIGINT. A second one is left to Node's
// default handling, which ends the process at once.
function waitForSignal(): { stopped: Promise<StopReason>; dispose: () => void } {
  let dispose = () => undefined as void;
  const stopped = new Promise<StopReason>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      dispose();
      resolve({ signal });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    dispose = () => {
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
    };
  });
  return { stopped, dispose };
}

// Ends the process should the shutdown hang, so that it exits within
// --shutdown-timeout plus a few seconds, whatever keeps it busy.
function armExitDeadline(config: Config, logger: Logger): void {
  const timeoutMs = config.shutdownTimeoutMs + exitGraceMs;
  const timer = setTimeout(() => {
    logger.error({ timeoutMs }, 'shutdown did not finish in time, exiting');
    process.exit(1);
  }, timeoutMs);
  timer.unref();
}

/**
 * Serves the deletion-guard webhook until SIGTERM or SIGINT, installing the
 * bundle in the background. Returns 0 after a signal; throws, after shutting
 * the server down, when the install fails for good.
 */
export async function runServe(config: Config, logger: Logger): Promise<number> {
  const bundle = await loadConfiguredBundle(config);
  const clients = clientsFor(config);
  const signals = waitForSignal();
  const removeHandlers = installProcessHandlers(logger);
  try {
    const service = await startWebhookService({ config, logger, bundle, clients });
    const installFailed = service.installed.then(
      () => new Promise<StopReason>(() => undefined),
      (error: unknown) => ({ error }),
    );
    const reason = await Promise.race([signals.stopped, installFailed]);
    if ('signal' in reason) logger.info({ signal: reason.signal }, 'shutdown signal received');
    armExitDeadline(config, logger);
    await service.stop();
    if ('error' in reason) throw reason.error;
    return 0;
  } finally {
    signals.dispose();
    removeHandlers();
  }
}

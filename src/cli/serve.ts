import type { Config } from '../config/parse.ts';
import type { Logger } from '../logger.ts';
import {
  startWebhookService,
  type WebhookService,
  type WebhookServiceOptions,
} from '../server/service.ts';
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

// Ends the process should an aborted startup hang. process.exit() can hang
// too, because Node joins its thread pool on exit and a read of a file that
// never returns (a FIFO without a writer, a hung network mount) occupies a
// thread. The signal's default action ends the process without that join.
function armStartupDeadline(config: Config, logger: Logger, signal: NodeJS.Signals): void {
  const timeoutMs = config.shutdownTimeoutMs;
  const timer = setTimeout(() => {
    logger.error({ timeoutMs, signal }, 'startup did not stop in time, exiting');
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }, timeoutMs);
  timer.unref();
}

type Startup = { readonly service: WebhookService } | StopReason;

/**
 * Starts the service, or gives up when SIGTERM or SIGINT arrives first: the
 * startup steps are aborted, a service that still comes up is stopped, and
 * the exit deadline bounds a step that ignores the abort. Returns undefined
 * after a signal.
 */
async function startUnlessStopped(
  options: WebhookServiceOptions,
  stopped: Promise<StopReason>,
): Promise<WebhookService | undefined> {
  const { config, logger } = options;
  const startup = new AbortController();
  const starting = startWebhookService({ ...options, signal: startup.signal });
  const first = await Promise.race<Startup>([starting.then((service) => ({ service })), stopped]);
  if ('service' in first) return first.service;
  const signal = 'signal' in first ? first.signal : 'SIGTERM';
  logger.info({ signal }, 'shutdown requested during startup');
  startup.abort();
  armStartupDeadline(config, logger, signal);
  const service = await starting.catch((err: unknown) => {
    logger.info({ err }, 'startup stopped');
    return undefined;
  });
  await service?.stop();
  return undefined;
}

/**
 * Serves the deletion-guard webhook until SIGTERM or SIGINT, installing the
 * bundle in the background. Returns 0 after a signal, also one that arrives
 * during startup; throws, after shutting the server down, when the install
 * fails for good.
 */
export async function runServe(config: Config, logger: Logger): Promise<number> {
  const bundle = await loadConfiguredBundle(config);
  const clients = clientsFor(config);
  const signals = waitForSignal();
  const removeHandlers = installProcessHandlers(logger);
  try {
    logger.info({ address: config.listenAddress, port: config.port }, 'webhook server starting');
    const service = await startUnlessStopped({ config, logger, bundle, clients }, signals.stopped);
    if (service === undefined) return 0;
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

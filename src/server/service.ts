// The running webhook: HTTPS server, caBundle sync and the startup install,
// wired together and reporting to one readiness state.
import type { FastifyInstance } from 'fastify';
import { createGuard, createObjectCounter } from '../admission/handler.ts';
import type { Config } from '../config/parse.ts';
import type { Bundle } from '../crds/bundle.ts';
import { crdNames } from '../crds/bundle.ts';
import { installBundle, installOptionsFrom, type InstallReport } from '../crds/installer.ts';
import type { KubeClients } from '../kube/client.ts';
import type { Logger } from '../logger.ts';
import { startCaBundleSync, type CaBundleSync } from '../tls/ca-bundle-sync.ts';
import { loadServingCertificate } from '../tls/serving-certificate.ts';
import { buildApp } from './app.ts';
import { createReadinessState, type ReadinessState } from './readiness.ts';
import { closeGracefully } from './shutdown.ts';

export interface WebhookServiceOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly bundle: Bundle;
  /** Clients for the install and the webhook configuration. */
  readonly clients: KubeClients;
  /** Clients for the guard's object lookups. Defaults to `clients`. */
  readonly lookupClients?: KubeClients;
}

export interface WebhookService {
  /** Address and bound port of the HTTPS server, also when --port is 0. */
  readonly address: { readonly host: string; readonly port: number };
  readonly readiness: ReadinessState;
  /** The startup install. It rejects with the installer's error once retries are spent. */
  readonly installed: Promise<InstallReport>;
  /**
   * Fails readiness, stops taking requests and waits for those in flight,
   * closing any still open after --shutdown-timeout.
   */
  stop(): Promise<void>;
}

// Fastify logs each bound address as text inside the message. Its logger is
// quiet while it binds, and the address is logged once, as fields.
async function listen(app: FastifyInstance, config: Config, logger: Logger) {
  const level = app.log.level;
  app.log.level = 'warn';
  try {
    await app.listen({ host: config.listenAddress, port: config.port });
  } finally {
    app.log.level = level;
  }
  const bound = app.server.address();
  const port = bound !== null && typeof bound === 'object' ? bound.port : config.port;
  logger.info({ address: config.listenAddress, port }, 'webhook server listening');
  return { host: config.listenAddress, port };
}

function installForReadiness(
  options: WebhookServiceOptions,
  readiness: ReadinessState,
  signal: AbortSignal,
): Promise<InstallReport> {
  const { clients, bundle, config, logger } = options;
  const installOptions = { ...installOptionsFrom(config), signal };
  const installed = installBundle(clients, bundle, installOptions, logger);
  installed.then(
    () => readiness.set('bundle', true),
    (err: unknown) => {
      if (signal.aborted) return;
      const reason = err instanceof Error ? err.message : String(err);
      readiness.set('bundle', false, `CRD bundle install failed: ${reason}`);
    },
  );
  return installed;
}

interface RunningParts {
  readonly app: FastifyInstance;
  readonly sync: CaBundleSync;
  readonly install: AbortController;
  readonly readiness: ReadinessState;
}

async function stopService(parts: RunningParts, options: WebhookServiceOptions): Promise<void> {
  const { app, sync, install, readiness } = parts;
  const { logger, config } = options;
  readiness.markShuttingDown();
  // An install still retrying would keep the process alive for up to --connect-timeout.
  install.abort();
  logger.info({ shutdownTimeoutMs: config.shutdownTimeoutMs }, 'webhook server stopping');
  await Promise.all([closeGracefully(app, config.shutdownTimeoutMs, logger), sync.stop()]);
  logger.info('webhook server stopped');
}

/**
 * Starts the webhook: loads or generates the serving certificate, listens,
 * keeps the caBundle in step and installs the bundle in the background.
 * Throws when the certificate cannot be loaded or the port cannot be bound.
 */
export async function startWebhookService(options: WebhookServiceOptions): Promise<WebhookService> {
  const { config, logger, bundle, clients } = options;
  const readiness = createReadinessState(logger);
  const serving = await loadServingCertificate(config, logger);
  readiness.set('tls', true);

  const lookup = createObjectCounter(options.lookupClients ?? clients);
  const guard = createGuard({ bundle, lookup, lookupTimeoutMs: config.lookupTimeoutMs, logger });
  const app = buildApp({ guard, readiness, logger, tls: serving });
  const address = await listen(app, config, logger);

  const sync = startCaBundleSync({
    admission: clients.admission,
    configurationName: config.webhookConfigName,
    webhookUrl: config.webhookUrl,
    crdNames: crdNames(bundle),
    serving,
    requestTimeoutMs: config.requestTimeoutMs,
    readiness,
    logger,
  });
  const install = new AbortController();
  const installed = installForReadiness(options, readiness, install.signal);
  const parts = { app, sync, install, readiness };
  return { address, readiness, installed, stop: () => stopService(parts, options) };
}

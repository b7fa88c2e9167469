// The running webhook: HTTPS server, certificate renewal, caBundle sync,
// metrics and the startup install, wired together and reporting to one
// readiness state.
import type { FastifyInstance } from 'fastify';
import { createGuard, createObjectCounter } from '../admission/handler.ts';
import type { Config } from '../config/parse.ts';
import type { Bundle } from '../crds/bundle.ts';
import { crdNames } from '../crds/bundle.ts';
import type { InstallReport } from '../crds/installer.ts';
import type { KubeClients } from '../kube/client.ts';
import type { Logger } from '../logger.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { startCaBundleSync, type CaBundleSync } from '../tls/ca-bundle-sync.ts';
import { buildApp } from './app.ts';
import { startBackgroundInstall } from './background-install.ts';
import { startMetricsServer, type MetricsServer } from './metrics-endpoint.ts';
import { createReadinessState, type ReadinessState } from './readiness.ts';
import { startCertificateUpkeep } from './certificate-upkeep.ts';
import { prepareServingCertificates } from './serving-certificates.ts';
import { closeGracefully } from './shutdown.ts';

export interface WebhookServiceOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly bundle: Bundle;
  /** Clients for the install, the CA Secret and the webhook configuration. */
  readonly clients: KubeClients;
  /** Clients for the guard's object lookups. Defaults to `clients`. */
  readonly lookupClients?: KubeClients;
  /** Metrics to record into. Defaults to new metrics with the Node.js process metrics. */
  readonly metrics?: Metrics;
  /** Aborts the startup: startWebhookService then rejects with the abort reason. */
  readonly signal?: AbortSignal;
}

export interface WebhookService {
  /** Address and bound port of the HTTPS server, also when --port is 0. */
  readonly address: { readonly host: string; readonly port: number };
  /** Address of the plain HTTP /metrics server; undefined when --metrics-port is 0. */
  readonly metricsAddress?: { readonly host: string; readonly port: number };
  readonly readiness: ReadinessState;
  readonly metrics: Metrics;
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

interface RunningParts {
  readonly app: FastifyInstance;
  readonly metricsServer?: MetricsServer;
  readonly sync: CaBundleSync;
  readonly upkeep: { stop(): Promise<void> };
  /** Aborts the install, renewal and caBundle sync API requests in flight. */
  readonly background: AbortController;
  readonly readiness: ReadinessState;
}

async function stopService(parts: RunningParts, options: WebhookServiceOptions): Promise<void> {
  const { app, metricsServer, sync, upkeep, background, readiness } = parts;
  const { logger, config } = options;
  readiness.markShuttingDown();
  // An install still retrying would keep the process alive for up to
  // --connect-timeout, and a renewal waiting on a slow API server for up to
  // --request-timeout per call.
  background.abort();
  logger.info({ shutdownTimeoutMs: config.shutdownTimeoutMs }, 'webhook server stopping');
  await Promise.all([
    closeGracefully(app, config.shutdownTimeoutMs, logger),
    upkeep.stop().then(() => sync.stop()),
    metricsServer?.close(),
  ]);
  logger.info('webhook server stopped');
}

function listenForMetrics(config: Config, metrics: Metrics, logger: Logger) {
  if (config.metricsPort === 0) return Promise.resolve(undefined);
  const listenAt = { host: config.listenAddress, port: config.metricsPort };
  return startMetricsServer(metrics.registry, listenAt, logger);
}

function createServiceGuard(options: WebhookServiceOptions, metrics: Metrics) {
  const { config, logger, bundle, clients } = options;
  const lookup = createObjectCounter(options.lookupClients ?? clients);
  const onDecision = metrics.recordDecision;
  return createGuard({
    bundle,
    lookup,
    lookupTimeoutMs: config.lookupTimeoutMs,
    logger,
    onDecision,
  });
}

/**
 * Starts the webhook: prepares the serving certificate, listens, keeps the
 * certificate and the caBundle fresh and installs the bundle in the
 * background. Throws when certificate files cannot be loaded or a port
 * cannot be bound.
 */
export async function startWebhookService(options: WebhookServiceOptions): Promise<WebhookService> {
  const { config, logger, bundle, clients } = options;
  const metrics = options.metrics ?? createMetrics({ collectProcess: true });
  const readiness = createReadinessState(logger);
  const background = new AbortController();
  const signal = background.signal;
  const startup = options.signal ?? new AbortController().signal;
  const preparing = AbortSignal.any([signal, startup]);
  const supply = await prepareServingCertificates(config, clients, logger, preparing);
  startup.throwIfAborted();
  if (supply.temporary) readiness.set('tls', false, `waiting for the CA from ${supply.source}`);
  else readiness.set('tls', true);

  const guard = createServiceGuard(options, metrics);
  const onHttpsPort = config.metricsPort === 0 ? metrics.registry : undefined;
  const app = buildApp({ guard, readiness, logger, tls: supply.initial, metrics: onHttpsPort });
  const address = await listen(app, config, logger);
  const metricsServer = await listenForMetrics(config, metrics, logger).catch(async (err) => {
    await app.close();
    throw err;
  });
  if (startup.aborted) {
    await Promise.all([app.close(), metricsServer?.close()]);
    startup.throwIfAborted();
  }

  const sync = startCaBundleSync({
    admission: clients.admission,
    configurationName: config.webhookConfigName,
    webhookUrl: config.webhookUrl,
    crdNames: crdNames(bundle),
    serving: supply.initial,
    requestTimeoutMs: config.requestTimeoutMs,
    readiness,
    logger,
    lookupTimeoutMs: config.lookupTimeoutMs,
    signal,
  });
  const upkeep = startCertificateUpkeep({ supply, app, sync, readiness, metrics });
  const installed = startBackgroundInstall({ ...options, readiness, metrics, signal });
  const parts = { app, metricsServer, sync, upkeep, background, readiness };
  const stop = () => stopService(parts, options);
  return { address, metricsAddress: metricsServer?.address, readiness, metrics, installed, stop };
}

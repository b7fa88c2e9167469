// GET /metrics in the Prometheus text format: on the HTTPS app, or on a plain
// HTTP server of its own when --metrics-port is set, so that Prometheus can
// scrape it without the webhook's CA.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.ts';
import { errorBody } from './errors.ts';

export const metricsPath = '/metrics';

/** Registers GET /metrics, which renders `registry`. */
export function registerMetrics(app: FastifyInstance, registry: Registry): void {
  app.get(metricsPath, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}

export interface MetricsServer {
  readonly address: { readonly host: string; readonly port: number };
  close(): Promise<void>;
}

/** Starts the plain HTTP server that serves only GET /metrics. */
export async function startMetricsServer(
  registry: Registry,
  listen: { readonly host: string; readonly port: number },
  logger: Logger,
): Promise<MetricsServer> {
  // Scrapes arrive every few seconds, and their request logs would drown the rest.
  const app = Fastify({
    loggerInstance: logger.child({ server: 'metrics' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
  });
  registerMetrics(app, registry);
  app.setNotFoundHandler((request, reply) => {
    const message = `no route for ${request.method} ${request.url}; this port serves GET /metrics`;
    return reply.code(404).send(errorBody(404, message));
  });
  const level = app.log.level;
  app.log.level = 'warn';
  try {
    await app.listen(listen);
  } finally {
    app.log.level = level;
  }
  const bound = app.server.address();
  const port = bound !== null && typeof bound === 'object' ? bound.port : listen.port;
  logger.info({ address: listen.host, port }, 'metrics server listening');
  return { address: { host: listen.host, port }, close: () => app.close() };
}

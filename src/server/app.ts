// The webhook's Fastify application, built without listening so that tests
// can drive it with inject().
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.ts';
import type { ServingCertificate } from '../tls/serving-certificate.ts';
import { createClientErrorHandler, createErrorHandler, handleNotFound } from './errors.ts';
import { metricsPath, registerMetrics } from './metrics-endpoint.ts';
import { isProbeUrl, registerProbes } from './probes.ts';
import type { ReadinessState } from './readiness.ts';
import { httpsServerOptions } from './tls-options.ts';
import { registerValidate, reviewBodyLimitBytes, type AdmissionGuard } from './validate.ts';

// kube-apiserver gives up on a webhook after at most 30 s, so a request still
// arriving after that is a stalled or hostile client.
const requestTimeoutMs = 30_000;

export interface AppOptions {
  readonly guard: AdmissionGuard;
  readonly readiness: ReadinessState;
  readonly logger: Logger;
  /** Certificate for HTTPS. Leave it out only for apps driven by inject(), which never listen. */
  readonly tls?: ServingCertificate;
  /** When set, GET /metrics renders this registry. */
  readonly metrics?: Registry;
}

// Probes and scrapes arrive every few seconds, and their request logs would drown the rest.
function isQuietUrl(url: string): boolean {
  return isProbeUrl(url) || url.split('?', 1)[0] === metricsPath;
}

/**
 * Builds the Fastify app with POST /validate, GET /healthz, GET /readyz and,
 * when options.metrics is set, GET /metrics.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const app = Fastify({
    // A child logger, so that quieting Fastify's own lines leaves the caller's logger alone.
    loggerInstance: options.logger.child({}) as FastifyBaseLogger,
    https: options.tls === undefined ? null : httpsServerOptions(options.tls),
    logController: new LogController({
      disableRequestLogging: (request) => isQuietUrl(request.url),
    }),
    requestTimeout: requestTimeoutMs,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    clientErrorHandler: createClientErrorHandler(options.logger),
  });

  // An AdmissionReview is application/json, but Fastify also parses text/plain by default.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(createErrorHandler(reviewBodyLimitBytes));
  app.setNotFoundHandler(handleNotFound);
  registerProbes(app, options.readiness);
  registerValidate(app, options.guard);
  if (options.metrics !== undefined) registerMetrics(app, options.metrics);
  return app;
}

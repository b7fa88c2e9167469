// A server under load, run in a process of its own so that the load generator
// does not share its event loop. It starts either the product's webhook app or
// a bare Fastify endpoint, listens on 127.0.0.1 with an OS-chosen port, and
// sends that port to the parent over IPC. SIGTERM or a lost parent stops it.
import Fastify, { type FastifyInstance } from 'fastify';
import { createGuard, createObjectCounter } from '../src/admission/handler.ts';
import { loadBuiltInBundle } from '../src/crds/bundle.ts';
import { createClients, loadKubeConfig } from '../src/kube/client.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics/metrics.ts';
import { buildApp } from '../src/server/app.ts';
import { createReadinessState } from '../src/server/readiness.ts';
import { httpsServerOptions } from '../src/server/tls-options.ts';
import { loadOrGenerateCertificates } from '../src/tls/generated.ts';
import type { ServingCertificate } from '../src/tls/serving-certificate.ts';

/** The server the parent requests, passed as JSON in the first argument. */
export type TargetSpec =
  | { readonly kind: 'guard'; readonly certDir: string; readonly kubeconfigPath: string }
  | { readonly kind: 'baseline'; readonly certDir: string; readonly response: unknown };

// The serve command's default --lookup-timeout.
const lookupTimeoutMs = 3000;
const hosts = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] };

// Wired as serve wires it: logs at info (the parent discards stdout), and
// metrics recorded for every decision and served on GET /metrics.
async function guardApp(spec: { kubeconfigPath: string }, tls: ServingCertificate) {
  const logger = createLogger('info');
  const metrics = createMetrics({ collectProcess: true });
  const bundle = await loadBuiltInBundle();
  const lookup = createObjectCounter(createClients(loadKubeConfig(spec.kubeconfigPath)));
  const onDecision = metrics.recordDecision;
  const guard = createGuard({ bundle, lookup, lookupTimeoutMs, logger, onDecision });
  const readiness = createReadinessState(logger);
  return buildApp({ guard, readiness, logger, tls, metrics: metrics.registry });
}

function baselineApp(response: unknown, tls: ServingCertificate): FastifyInstance {
  const app = Fastify({ https: httpsServerOptions(tls), logger: false });
  app.post('/validate', async () => response);
  return app;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as TargetSpec;
  const certificates = { certDir: spec.certDir, ...hosts };
  const tls = await loadOrGenerateCertificates(certificates, createLogger('silent'));
  const app = spec.kind === 'guard' ? await guardApp(spec, tls) : baselineApp(spec.response, tls);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  const stop = () => void app.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
  process.send?.({ port });
}

await main();

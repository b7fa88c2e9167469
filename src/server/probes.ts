// Liveness and readiness probes for the kubelet.
import type { FastifyInstance } from 'fastify';
import type { ReadinessState } from './readiness.ts';

export const probePaths = ['/healthz', '/readyz'] as const;

/** Returns whether a request URL is a probe, whose per-request logs are skipped. */
export function isProbeUrl(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return (probePaths as readonly string[]).includes(path);
}

/**
 * Registers GET /healthz, which passes while the event loop runs, and GET
 * /readyz, which returns 503 with the failing checks until every check passes.
 */
export function registerProbes(app: FastifyInstance, readiness: ReadinessState): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = readiness.report();
    if (report.ready) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready', notReady: report.notReady });
  });
}

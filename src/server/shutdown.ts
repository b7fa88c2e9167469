import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../logger.ts';

/**
 * Closes the app: new requests get 503, idle keep-alive connections close,
 * and requests in flight may finish. Connections still open after
 * `timeoutMs` are destroyed, so the call returns soon after the timeout.
 */
export async function closeGracefully(
  app: FastifyInstance,
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  const closed = app.close();
  const timer = new AbortController();
  const timedOut = sleep(timeoutMs, true, { signal: timer.signal }).catch(() => false);
  const expired = await Promise.race([closed.then(() => false), timedOut]);
  timer.abort();
  if (expired) {
    logger.warn({ timeoutMs }, 'shutdown timed out, closing open connections');
    app.server.closeAllConnections();
    await closed;
  }
}

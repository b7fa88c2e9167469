import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.ts';
import { describeApiError, isTransient } from './status.ts';

export interface RetryOptions {
  /** Total time budget in ms; the last attempt starts before it runs out. */
  readonly timeoutMs: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Returns whether a failure is worth another attempt; transient API failures by default. */
  readonly retryable?: (err: unknown) => boolean;
  readonly signal?: AbortSignal;
}

/**
 * Runs `operation` until it succeeds, a failure is not retryable, or the time
 * budget is spent. The delay doubles from initialDelayMs up to maxDelayMs,
 * with jitter so that replicas started together do not retry in lockstep.
 * Each failed attempt is logged with its number and the next delay.
 */
export async function retryWithBackoff<T>(
  name: string,
  operation: () => Promise<T>,
  options: RetryOptions,
  logger: Logger,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const retryable = options.retryable ?? isTransient;
  let delayMs = options.initialDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (err) {
      const remainingMs = deadline - Date.now();
      if (!retryable(err) || remainingMs <= 0 || options.signal?.aborted === true) {
        throw err;
      }
      const waitMs = Math.min(delayMs * (0.5 + Math.random() / 2), remainingMs);
      logger.warn({ operation: name, attempt, retryInMs: Math.round(waitMs), reason: describeApiError(err), err }, 'api request failed, retrying');
      await sleep(waitMs, undefined, { signal: options.signal });
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    }
  }
}

import { ApiException } from '@kubernetes/client-node';

/** Returns the HTTP status of a failed API call, or undefined when no response arrived. */
export function httpStatusOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

export function isNotFound(err: unknown): boolean {
  return httpStatusOf(err) === 404;
}

export function isConflict(err: unknown): boolean {
  return httpStatusOf(err) === 409;
}

export function isAlreadyExists(err: unknown): boolean {
  return httpStatusOf(err) === 409;
}

/**
 * Returns whether a failure is worth retrying: no response at all (refused,
 * reset, timed out), throttling, or a server-side error.
 */
export function isTransient(err: unknown): boolean {
  const status = httpStatusOf(err);
  return status === undefined || status === 429 || status >= 500;
}

/** Extracts the API server's Status message from a failed call, or the error message. */
export function describeApiError(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    const parsed = typeof body === 'string' ? safeJson(body) : body;
    const message = (parsed as { message?: unknown } | undefined)?.message;
    return typeof message === 'string' ? `${err.code}: ${message}` : `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

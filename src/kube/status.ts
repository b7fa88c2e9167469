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

// Error names of a request that got no response. node-fetch 2, which
// @kubernetes/client-node 1.x sends requests with, raises FetchError for
// socket, DNS and TLS failures and AbortError when the request times out.
const networkErrorNames = new Set(['FetchError', 'AbortError', 'TimeoutError']);

/**
 * Returns whether a request failed without a response because of the network.
 * Other errors without a response, such as the client rejecting its own
 * configuration, fail the same way on every attempt.
 */
export function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (networkErrorNames.has(err.name)) return true;
  return typeof (err as NodeJS.ErrnoException).code === 'string';
}

/**
 * Returns whether a failure is worth retrying: a network failure (refused,
 * reset, timed out), throttling, or a server-side error.
 */
export function isTransient(err: unknown): boolean {
  const status = httpStatusOf(err);
  if (status === undefined) return isNetworkError(err);
  return status === 429 || status >= 500;
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

/**
 * Describes an error and, unless its message already contains it, its cause,
 * such as "API server unreachable: ...: connect ECONNREFUSED 127.0.0.1:6443".
 */
export function describeErrorWithCause(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const cause: unknown = err instanceof Error ? err.cause : undefined;
  if (cause === undefined) return message;
  const reason = describeApiError(cause);
  return message.includes(reason) ? message : `${message}: ${reason}`;
}

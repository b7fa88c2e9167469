// API calls of the installer and the status command. Each call has a timeout,
// is retried with backoff while the API server is unreachable or overloaded,
// and fails with a coded ProductError. A 409 Conflict is passed on untouched,
// because the installer handles it by reading again.
//
// CRDs are read and written as plain JSON through the generic object
// endpoints. The generated CustomResourceDefinition model renames schema
// keywords such as `default` and `x-kubernetes-list-type` and drops fields it
// does not know, so sending bundle YAML through it would lose parts of the schema.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { errorCodes, ProductError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { withTimeout, type KubeClients } from '../kube/client.ts';
import { retryWithBackoff } from '../kube/retry.ts';
import {
  describeApiError,
  httpStatusOf,
  isConflict,
  isNotFound,
  isTransient,
} from '../kube/status.ts';
import { fieldManager } from './metadata.ts';

export interface ApiCallOptions {
  /** Milliseconds before one request is abandoned. */
  readonly requestTimeoutMs: number;
  /** Milliseconds to keep retrying a request that got no response, a 429 or a 5xx. */
  readonly retryTimeoutMs: number;
  /** Ends the retries and fails every later call with the abort reason. */
  readonly signal?: AbortSignal;
}

/** Runs one named API request with retries and maps its final failure to a ProductError. */
export type ApiCaller = <T>(operation: string, request: () => Promise<T>) => Promise<T>;

// The message of an unreachable API server leaves out the network error, because
// it is the cause, and pino's err serializer appends each cause's message.
function productErrorFor(operation: string, err: unknown, options: ApiCallOptions): ProductError {
  if (httpStatusOf(err) === undefined) {
    const seconds = Math.round(options.retryTimeoutMs / 1000);
    return new ProductError(
      errorCodes.apiUnavailable,
      `API server unreachable: ${operation} failed after retrying for ${seconds} s. ` +
        'Check the kubeconfig and that the API server is running, or raise --connect-timeout',
      { cause: err },
    );
  }
  const reason = describeApiError(err);
  return new ProductError(errorCodes.apiRequestFailed, `${operation} failed: ${reason}`, {
    cause: err,
  });
}

export function createApiCaller(options: ApiCallOptions, logger: Logger): ApiCaller {
  return async (operation, request) => {
    try {
      options.signal?.throwIfAborted();
      const retry = {
        timeoutMs: options.retryTimeoutMs,
        retryable: isTransient,
        signal: options.signal,
      };
      return await retryWithBackoff(operation, request, retry, logger);
    } catch (err) {
      if (isConflict(err) || options.signal?.aborted === true) throw err;
      throw productErrorFor(operation, err, options);
    }
  };
}

const crdResource = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
} as const;

/** Reads, creates and replaces CRDs as plain JSON. */
export interface CrdApi {
  /** Returns the live CRD, or undefined when there is none. */
  read(name: string): Promise<V1CustomResourceDefinition | undefined>;
  /** Creates a CRD; throws the ApiException of a 409 when it already exists. */
  create(body: V1CustomResourceDefinition): Promise<V1CustomResourceDefinition>;
  /** Replaces a CRD; throws the ApiException of a 409 when its resourceVersion is stale. */
  replace(body: V1CustomResourceDefinition): Promise<V1CustomResourceDefinition>;
}

export function createCrdApi(
  clients: KubeClients,
  call: ApiCaller,
  requestTimeoutMs: number,
): CrdApi {
  const api = clients.customObjects;
  const timeout = () => withTimeout(requestTimeoutMs);
  return {
    read: (name) =>
      call(`read crd ${name}`, async () => {
        try {
          return await api.getClusterCustomObject({ ...crdResource, name }, timeout());
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      }),
    create: (body) =>
      call(`create crd ${body.metadata?.name}`, () =>
        api.createClusterCustomObject({ ...crdResource, body, fieldManager }, timeout()),
      ),
    replace: (body) => {
      const name = body.metadata?.name as string;
      return call(`replace crd ${name}`, () =>
        api.replaceClusterCustomObject({ ...crdResource, name, body, fieldManager }, timeout()),
      );
    },
  };
}

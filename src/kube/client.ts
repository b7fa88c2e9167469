import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  AdmissionregistrationV1Api,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Observable,
  ServerConfiguration,
  createConfiguration,
  findHomeDir,
  type ConfigurationOptions,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { KeepAliveAuthentication } from './keep-alive.ts';

/** The typed API clients the product uses, built from one kubeconfig. */
export interface KubeClients {
  readonly kubeConfig: KubeConfig;
  readonly apiextensions: ApiextensionsV1Api;
  readonly customObjects: CustomObjectsApi;
  readonly admission: AdmissionregistrationV1Api;
  readonly core: CoreV1Api;
}

// The token of a pod's service account, the last source that loadFromDefault tries.
const serviceAccountTokenPath = '/var/run/secrets/kubernetes.io/serviceaccount/token';

// Returns whether loadFromDefault finds a kubeconfig source. Without one,
// @kubernetes/client-node 1.x falls back to http://localhost:8080, which its
// own request code then rejects on every call.
function hasDefaultSource(): boolean {
  // NOTE: on Windows loadFromDefault also queries WSL for a kubeconfig, so the check is skipped.
  if (process.platform === 'win32') return true;
  if ((process.env.KUBECONFIG ?? '') !== '') return true;
  const home = findHomeDir();
  if (home !== null && existsSync(join(home, '.kube', 'config'))) return true;
  return existsSync(serviceAccountTokenPath);
}

/**
 * Loads the kubeconfig at `path`. Without a path it uses the in-cluster
 * service account when running in a pod, else KUBECONFIG or ~/.kube/config.
 * Throws when none of them exists.
 */
export function loadKubeConfig(path?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path !== undefined) {
    kubeConfig.loadFromFile(path);
  } else if (process.env.KUBERNETES_SERVICE_HOST !== undefined) {
    kubeConfig.loadFromCluster();
  } else if (hasDefaultSource()) {
    kubeConfig.loadFromDefault();
  } else {
    throw new Error(
      'no kubeconfig found: set --kubeconfig or KUBECONFIG, create ~/.kube/config, ' +
        'or run in a pod with a service account token',
    );
  }
  return kubeConfig;
}

/** Builds the API clients; they share one pool of keep-alive connections. */
export function createClients(kubeConfig: KubeConfig): KubeClients {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) {
    throw new Error('the kubeconfig has no current cluster; set current-context');
  }
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: new KeepAliveAuthentication(kubeConfig) },
  });
  return {
    kubeConfig,
    apiextensions: new ApiextensionsV1Api(configuration),
    customObjects: new CustomObjectsApi(configuration),
    admission: new AdmissionregistrationV1Api(configuration),
    core: new CoreV1Api(configuration),
  };
}

/**
 * Returns per-call options that abort the request after `timeoutMs`, or
 * earlier when `signal` aborts. The generated clients otherwise wait as long
 * as the socket stays open.
 */
export function withTimeout(timeoutMs: number, signal?: AbortSignal): ConfigurationOptions {
  // The object-param API passes call-time middleware to the observable layer
  // unwrapped, so pre and post must return the client's Observable, not a Promise.
  return {
    middleware: [
      {
        pre: (context: RequestContext) => {
          const timeout = AbortSignal.timeout(timeoutMs);
          context.setSignal(signal === undefined ? timeout : AbortSignal.any([timeout, signal]));
          return new Observable(Promise.resolve(context));
        },
        post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

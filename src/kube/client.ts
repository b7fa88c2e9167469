import {
  AdmissionregistrationV1Api,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Observable,
  ServerConfiguration,
  createConfiguration,
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

/**
 * Loads the kubeconfig at `path`. Without a path it uses the in-cluster
 * service account when running in a pod, else KUBECONFIG or ~/.kube/config.
 */
export function loadKubeConfig(path?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path !== undefined) {
    kubeConfig.loadFromFile(path);
  } else if (process.env.KUBERNETES_SERVICE_HOST !== undefined) {
    kubeConfig.loadFromCluster();
  } else {
    kubeConfig.loadFromDefault();
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

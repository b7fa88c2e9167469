import type { Config } from '../config/parse.ts';
import { ConfigError } from '../errors.ts';
import { createClients, loadKubeConfig, type KubeClients } from '../kube/client.ts';

/** Builds the API clients from --kubeconfig; throws ConfigError when the file cannot be loaded. */
export function clientsFor(config: Config): KubeClients {
  try {
    return createClients(loadKubeConfig(config.kubeconfig));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(
      '--kubeconfig',
      config.kubeconfig ?? '(default)',
      `a readable kubeconfig (${reason})`,
    );
  }
}

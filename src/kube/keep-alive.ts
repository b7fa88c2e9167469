import { createHash } from 'node:crypto';
import { Agent, type AgentOptions } from 'node:https';
import type { KubeConfig, RequestContext, SecurityAuthentication } from '@kubernetes/client-node';

// The TLS settings that decide whether two requests may share a connection.
const tlsKeys = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

function fingerprint(options: AgentOptions): string {
  const hash = createHash('sha256');
  for (const key of tlsKeys) {
    hash.update(`${key}=`);
    hash.update(String(options[key] ?? ''));
    hash.update('\n');
  }
  return hash.digest('hex');
}

/**
 * Applies the kubeconfig's credentials to each request, then swaps the
 * client's per-request agent for one shared keep-alive agent.
 *
 * @kubernetes/client-node 1.4 builds a new https.Agent for every request, so
 * every API call pays a fresh TCP and TLS handshake. The shared agent is
 * rebuilt when the TLS material changes (a rotated client certificate), and
 * left out entirely for clusters reached through a proxy, whose agents the
 * client builds in its own way. Token headers are still read per request, so
 * rotated service account tokens keep working.
 */
export class KeepAliveAuthentication implements SecurityAuthentication {
  private readonly kubeConfig: KubeConfig;
  private agent: Agent | undefined;
  private agentFingerprint = '';

  constructor(kubeConfig: KubeConfig) {
    this.kubeConfig = kubeConfig;
  }

  getName(): string {
    return 'kubeconfig-keep-alive';
  }

  async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.kubeConfig.applySecurityAuthentication(context);
    const perRequest = context.getAgent();
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!(perRequest instanceof Agent) || cluster?.proxyUrl !== undefined) return;
    context.setAgent(this.sharedAgent(perRequest.options));
  }

  private sharedAgent(options: AgentOptions): Agent {
    const current = fingerprint(options);
    if (this.agent === undefined || current !== this.agentFingerprint) {
      this.agent?.destroy();
      this.agent = new Agent({ ...options, keepAlive: true, maxSockets: 32 });
      this.agentFingerprint = current;
    }
    return this.agent;
  }

  /** Closes the pooled connections. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }
}

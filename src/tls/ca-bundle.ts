// The caBundle of a ValidatingWebhookConfiguration: base64 of the PEM CAs the
// API server trusts when it calls each webhook.
import type {
  V1ValidatingWebhook,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { isIssuedBy, parseCertificate, parseCertificateBundle } from './inspect.ts';

export function encodeCaBundle(caPem: string): string {
  return Buffer.from(caPem, 'utf8').toString('base64');
}

/** Returns whether a base64 caBundle contains a CA that signed `servingCertPem`. */
export function caBundleTrusts(caBundle: string | undefined, servingCertPem: string): boolean {
  const serving = parseCertificate(servingCertPem);
  if (caBundle === undefined || serving === undefined) return false;
  const authorities = parseCertificateBundle(Buffer.from(caBundle, 'base64').toString('utf8'));
  return authorities.some((authority) => isIssuedBy(serving, authority));
}

/** Returns the names of the webhooks whose caBundle does not trust the serving certificate. */
export function webhooksNotTrusting(
  configuration: V1ValidatingWebhookConfiguration,
  servingCertPem: string,
): string[] {
  return (configuration.webhooks ?? [])
    .filter((webhook) => !caBundleTrusts(webhook.clientConfig.caBundle, servingCertPem))
    .map((webhook) => webhook.name);
}

/**
 * Returns a copy of the configuration with `caPem` as the caBundle of every
 * webhook, or of those that `select` picks.
 */
export function withCaBundle(
  configuration: V1ValidatingWebhookConfiguration,
  caPem: string,
  select: (webhook: V1ValidatingWebhook) => boolean = () => true,
): V1ValidatingWebhookConfiguration {
  const caBundle = encodeCaBundle(caPem);
  const webhooks = (configuration.webhooks ?? []).map((webhook) =>
    select(webhook) ? { ...webhook, clientConfig: { ...webhook.clientConfig, caBundle } } : webhook,
  );
  return { ...configuration, webhooks };
}

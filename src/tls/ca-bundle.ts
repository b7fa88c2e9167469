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

function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function decodeCaBundle(caBundle: string | undefined): string {
  return caBundle === undefined ? '' : Buffer.from(caBundle, 'base64').toString('utf8');
}

// Returns the SHA-256 fingerprint of an unexpired certificate, else undefined.
function liveFingerprint(pem: string, now: Date): string | undefined {
  const certificate = parseCertificate(pem);
  if (certificate === undefined) return undefined;
  return now.getTime() < certificate.validToDate.getTime() ? certificate.fingerprint256 : undefined;
}

// The unexpired certificates of PEM texts, by fingerprint, first occurrence first.
function liveCertificates(texts: readonly string[], now: Date): Map<string, string> {
  const certificates = new Map<string, string>();
  for (const pem of texts.flatMap(pemBlocks)) {
    const fingerprint = liveFingerprint(pem, now);
    if (fingerprint !== undefined && !certificates.has(fingerprint)) {
      certificates.set(fingerprint, pem);
    }
  }
  return certificates;
}

/**
 * Merges PEM CAs into a base64 caBundle. Every unexpired certificate already
 * there stays, in its place, so that a replica never removes the CA another
 * replica serves with. The missing CAs of `wanted` are appended; expired,
 * unreadable and duplicate certificates are dropped. Returns undefined when
 * nothing would change, so that replicas that agree never write.
 */
export function mergeCaBundle(
  caBundle: string | undefined,
  wanted: readonly string[],
  now: Date,
): string | undefined {
  const text = decodeCaBundle(caBundle);
  const kept = liveCertificates([text], now);
  const merged = liveCertificates([text, ...wanted], now);
  const dropsSomething = text.trim() !== '' && kept.size !== pemBlocks(text).length;
  const garbageOnly = text.trim() !== '' && pemBlocks(text).length === 0;
  if (merged.size === kept.size && !dropsSomething && !garbageOnly) return undefined;
  return encodeCaBundle([...merged.values()].join('\n'));
}

/**
 * Returns a copy of the configuration in which every webhook's caBundle
 * contains `wanted` (merged by mergeCaBundle()), and the names of the
 * webhooks that changed. Returns undefined when none changed.
 */
export function withMergedCaBundles(
  configuration: V1ValidatingWebhookConfiguration,
  wanted: readonly string[],
  now: Date,
): { configuration: V1ValidatingWebhookConfiguration; changed: string[] } | undefined {
  const changed: string[] = [];
  const webhooks = (configuration.webhooks ?? []).map((webhook) => {
    const caBundle = mergeCaBundle(webhook.clientConfig.caBundle, wanted, now);
    if (caBundle === undefined) return webhook;
    changed.push(webhook.name);
    return { ...webhook, clientConfig: { ...webhook.clientConfig, caBundle } };
  });
  if (changed.length === 0) return undefined;
  return { configuration: { ...configuration, webhooks }, changed };
}

/** Returns the names of the webhooks whose caBundle lacks one of the unexpired `wanted` CAs. */
export function webhooksMissingCas(
  configuration: V1ValidatingWebhookConfiguration,
  wanted: readonly string[],
  now: Date,
): string[] {
  const required = [...liveCertificates(wanted, now).keys()];
  return (configuration.webhooks ?? [])
    .filter((webhook) => {
      const present = liveCertificates([decodeCaBundle(webhook.clientConfig.caBundle)], now);
      return required.some((fingerprint) => !present.has(fingerprint));
    })
    .map((webhook) => webhook.name);
}

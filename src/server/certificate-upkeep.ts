// Connects the certificate supply to the running server: a new certificate
// is swapped into the HTTPS server in place, published to the caBundle, and
// reported to readiness and the expiry metrics.
import type { Server as HttpsServer } from 'node:https';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics/metrics.ts';
import type { CaBundleSync } from '../tls/ca-bundle-sync.ts';
import { isIssuedBy, parseCertificate, parseCertificateBundle } from '../tls/inspect.ts';
import type { ServingCertificate } from '../tls/serving-certificate.ts';
import type { ReadinessState } from './readiness.ts';
import type { CertificateSupply } from './serving-certificates.ts';
import { replaceServingCertificate } from './tls-options.ts';

export interface UpkeepOptions {
  readonly supply: CertificateSupply;
  readonly app: FastifyInstance;
  readonly sync: CaBundleSync;
  readonly readiness: ReadinessState;
  readonly metrics: Metrics;
}

/** Sets the expiry metrics of the serving certificate and of the CA in caCert that signed it. */
export function recordCertificateExpiry(metrics: Metrics, serving: ServingCertificate): void {
  const certificate = parseCertificate(serving.cert);
  if (certificate === undefined) return;
  metrics.setCertificateExpiry('serving', certificate.validToDate);
  const issuer = parseCertificateBundle(serving.caCert ?? '').find((authority) =>
    isIssuedBy(certificate, authority),
  );
  if (issuer !== undefined) metrics.setCertificateExpiry('ca', issuer.validToDate);
}

/** Starts renewing or polling the certificate; the returned stop() ends it. */
export function startCertificateUpkeep(options: UpkeepOptions): { stop(): Promise<void> } {
  const { supply, app, sync, readiness, metrics } = options;
  let temporary = supply.temporary;
  if (!temporary) recordCertificateExpiry(metrics, supply.initial);
  return supply.start({
    async apply(serving) {
      replaceServingCertificate(app.server as HttpsServer, serving);
      temporary = false;
      readiness.set('tls', true);
      recordCertificateExpiry(metrics, serving);
    },
    publish: (serving) => sync.update(serving),
    onFailure(reason) {
      // A real certificate keeps serving while a renewal fails, so only the
      // temporary one makes the check fail.
      if (temporary) readiness.set('tls', false, reason);
    },
  });
}

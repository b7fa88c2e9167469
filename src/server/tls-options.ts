// TLS settings of the webhook's HTTPS server.
import type { Server as HttpsServer, ServerOptions } from 'node:https';
import type { ServingCertificate } from '../tls/serving-certificate.ts';

// TLS 1.0 and 1.1 are deprecated (RFC 8996); kube-apiserver speaks TLS 1.2 and 1.3.
const minimumTlsVersion = 'TLSv1.2';

/** Returns the https.Server options for a serving certificate. */
export function httpsServerOptions(serving: ServingCertificate): ServerOptions {
  return { cert: serving.cert, key: serving.key, minVersion: minimumTlsVersion };
}

/**
 * Swaps the certificate of a running HTTPS server. New TLS handshakes use it
 * at once; open connections keep the one they negotiated.
 */
export function replaceServingCertificate(server: HttpsServer, serving: ServingCertificate): void {
  server.setSecureContext(httpsServerOptions(serving));
}

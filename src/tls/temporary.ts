// A throwaway certificate that lets the HTTPS server respond to /healthz while the
// shared CA cannot be loaded yet, such as when the API server is unreachable
// at startup. Without it the port would stay closed, the kubelet's liveness
// probe would fail and the pod would restart in a loop. No caBundle ever
// trusts it, and readiness fails until the real certificate replaces it.
import { generateCertificateAuthority, issueCertificate } from './certificates.ts';
import type { CertificateHosts } from './inspect.ts';
import type { ServingCertificate } from './serving-certificate.ts';

const validityMs = 24 * 60 * 60 * 1000;

/** Generates the temporary certificate in memory; its caCert is unset, so it is never published. */
export async function generateTemporaryCertificate(
  hosts: CertificateHosts,
): Promise<ServingCertificate> {
  const ca = await generateCertificateAuthority({
    commonName: 'inference-extension-crds-temporary',
    validityMs,
  });
  const pair = await issueCertificate({
    ca,
    commonName: hosts.dnsNames[0] ?? hosts.ipAddresses[0] ?? 'inference-extension-crds',
    hosts: [...hosts.dnsNames, ...hosts.ipAddresses],
    usage: 'server',
    validityMs,
  });
  return { cert: pair.cert, key: pair.key };
}

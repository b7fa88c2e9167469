// The three sources of the serving certificate and what keeps each fresh.
// Files named by --tls-cert-file are polled for changes. A CA shared through
// --ca-secret, or kept in --cert-dir, signs certificates renewed in place.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/parse.ts';
import type { KubeClients } from '../kube/client.ts';
import type { Logger } from '../logger.ts';
import type { AuthorityStore, CertificateLifetimes } from '../tls/authority.ts';
import { createSecretAuthorityStore } from '../tls/ca-secret.ts';
import { startCertificateRenewal } from '../tls/certificate-renewal.ts';
import { watchCertificateFiles } from '../tls/file-reload.ts';
import { createDirectoryAuthorityStore, loadOrGenerateCertificates } from '../tls/generated.ts';
import {
  isIssuedBy,
  parseCertificate,
  parseCertificateBundle,
  type CertificateHosts,
} from '../tls/inspect.ts';
import { caSettleMs } from '../tls/renewal.ts';
import {
  readCertificateFiles,
  type CertificateFiles,
  type ServingCertificate,
} from '../tls/serving-certificate.ts';
import { generateTemporaryCertificate } from '../tls/temporary.ts';

// Kubernetes refreshes mounted Secrets about once a minute, so polling every
// 5 s adds little to the delay.
const fileCheckIntervalMs = 5_000;

/** Callbacks through which the running service takes the certificates of a supply. */
export interface CertificateHooks {
  /** Starts serving `serving`. */
  apply(serving: ServingCertificate): Promise<void>;
  /** Merges serving.caCert into the caBundle; resolves true once every webhook has it. */
  publish(serving: ServingCertificate): Promise<boolean>;
  /** Reports a failed renewal check. */
  onFailure(reason: string): void;
}

export interface CertificateSupply {
  /** The certificate to listen with. */
  readonly initial: ServingCertificate;
  /** Whether `initial` is the temporary certificate, served until the shared CA is loaded. */
  readonly temporary: boolean;
  /** Description of the certificate source, for readiness messages and logs. */
  readonly source: string;
  /** Starts renewing or polling; the returned stop() ends it. */
  start(hooks: CertificateHooks): { stop(): Promise<void> };
}

function lifetimesOf(config: Config): CertificateLifetimes {
  return {
    servingMs: config.servingCertValidityMs,
    caMs: config.caValidityMs,
    renewalFraction: config.certRenewalFraction,
  };
}

function hostsOf(config: Config): CertificateHosts {
  return { dnsNames: config.certDnsNames, ipAddresses: config.certIpAddresses };
}

// Returns whether the CA that signed `next` is missing from the CAs of `served`.
function hasNewIssuer(served: ServingCertificate, next: ServingCertificate): boolean {
  const certificate = parseCertificate(next.cert);
  if (certificate === undefined) return false;
  const issuer = parseCertificateBundle(next.caCert ?? '').find((ca) =>
    isIssuedBy(certificate, ca),
  );
  const known = parseCertificateBundle(served.caCert ?? '').map((ca) => ca.fingerprint256);
  return issuer !== undefined && !known.includes(issuer.fingerprint256);
}

async function fromFiles(files: CertificateFiles, logger: Logger): Promise<CertificateSupply> {
  const initial = await readCertificateFiles(files, logger);
  logger.info(
    { certFile: files.certFile, caFile: files.caFile },
    'serving certificate loaded from files',
  );
  const start = (hooks: CertificateHooks) => {
    let served = initial;
    // A certificate of a new CA is served only once the caBundle has had that
    // CA for a moment, as in the renewal loop.
    const apply = async (serving: ServingCertificate) => {
      if (serving.caCert !== undefined && hasNewIssuer(served, serving)) {
        const published = await hooks.publish({ ...served, caCert: serving.caCert });
        if (published) await sleep(caSettleMs);
      }
      await hooks.apply(serving);
      served = serving;
      await hooks.publish(serving);
    };
    return watchCertificateFiles({
      files,
      initial,
      intervalMs: fileCheckIntervalMs,
      apply,
      logger,
    });
  };
  return { initial, temporary: false, source: `files ${files.certFile}`, start };
}

interface RenewalContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

function renewing(
  context: RenewalContext,
  store: AuthorityStore,
  initial: { serving: ServingCertificate; temporary: boolean },
): CertificateSupply {
  const { config, logger, signal } = context;
  const start = (hooks: CertificateHooks) =>
    startCertificateRenewal({
      store,
      hosts: hostsOf(config),
      lifetimes: lifetimesOf(config),
      initial: initial.serving,
      initialIsTemporary: initial.temporary,
      ...hooks,
      logger,
      signal,
    });
  return {
    initial: initial.serving,
    temporary: initial.temporary,
    source: store.description,
    start,
  };
}

/**
 * Prepares the serving certificate the configuration names. Files are read
 * and checked now, and a failure throws ERR_TLS. With --ca-secret the
 * process starts with a temporary certificate, because the API server may
 * not respond yet. The renewal loop replaces it once the shared CA is loaded.
 */
export async function prepareServingCertificates(
  config: Config,
  clients: KubeClients,
  logger: Logger,
  signal: AbortSignal,
): Promise<CertificateSupply> {
  const { tlsCertFile: certFile, tlsKeyFile: keyFile, tlsCaFile: caFile } = config;
  if (certFile !== undefined && keyFile !== undefined) {
    return fromFiles({ certFile, keyFile, caFile }, logger);
  }
  const lifetimes = lifetimesOf(config);
  if (config.caSecret !== undefined) {
    const store = createSecretAuthorityStore({
      core: clients.core,
      name: config.caSecret,
      namespace: config.namespace,
      validityMs: lifetimes.caMs,
      renewalFraction: lifetimes.renewalFraction,
      requestTimeoutMs: config.requestTimeoutMs,
      logger,
      signal,
    });
    const serving = await generateTemporaryCertificate(hostsOf(config));
    return renewing({ config, logger, signal }, store, { serving, temporary: true });
  }
  const store = createDirectoryAuthorityStore(config.certDir, lifetimes, logger);
  const certificates = { certDir: config.certDir, ...hostsOf(config), lifetimes };
  const serving = await loadOrGenerateCertificates(certificates, logger);
  return renewing({ config, logger, signal }, store, { serving, temporary: false });
}

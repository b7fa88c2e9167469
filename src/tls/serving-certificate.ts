// The two sources of the webhook's serving certificate: PEM files named on the
// command line, or a CA and certificate generated into --cert-dir.
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/parse.ts';
import { errorCodes, ProductError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { loadOrGenerateCertificates } from './generated.ts';
import {
  isIssuedBy,
  keyMatchesCertificate,
  parseCertificate,
  parseCertificateBundle,
} from './inspect.ts';

/** The certificate and key the HTTPS server presents, and the CA to publish in caBundle. */
export interface ServingCertificate {
  readonly cert: string;
  readonly key: string;
  /** PEM CA written into the webhook configuration; undefined leaves the caBundle as it is. */
  readonly caCert?: string;
}

async function readPem(path: string, description: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ProductError(errorCodes.tls, `cannot read ${description} ${path}`, { cause: err });
  }
}

function invalidFile(path: string, problem: string): ProductError {
  return new ProductError(errorCodes.tls, `invalid TLS file ${path}: ${problem}`);
}

/**
 * Reads the serving certificate from PEM files and checks that the key
 * belongs to the certificate and that the CA, when given, signed it.
 * Throws ERR_TLS naming the file. An expired certificate is logged at error
 * level but still loaded, so that /healthz keeps passing while it is renewed.
 * NOTE: nothing reloads the files while the process runs; a renewed
 * certificate is served after a restart.
 */
export async function readCertificateFiles(
  files: { readonly certFile: string; readonly keyFile: string; readonly caFile?: string },
  logger: Logger,
): Promise<ServingCertificate> {
  const cert = await readPem(files.certFile, 'TLS certificate file');
  const key = await readPem(files.keyFile, 'TLS key file');
  const certificate = parseCertificate(cert);
  if (certificate === undefined) throw invalidFile(files.certFile, 'not a PEM certificate');
  if (!keyMatchesCertificate(certificate, key)) {
    throw invalidFile(files.keyFile, `not the private key of ${files.certFile}`);
  }
  if (certificate.validToDate.getTime() <= Date.now()) {
    const fields = { certFile: files.certFile, notAfter: certificate.validToDate };
    logger.error(fields, 'serving certificate has expired');
  }
  if (files.caFile === undefined) return { cert, key };

  const caCert = await readPem(files.caFile, 'TLS CA file');
  const authorities = parseCertificateBundle(caCert);
  if (authorities.length === 0) throw invalidFile(files.caFile, 'no PEM certificate found');
  if (!authorities.some((authority) => isIssuedBy(certificate, authority))) {
    throw invalidFile(files.caFile, `no certificate in it signed ${files.certFile}`);
  }
  return { cert, key, caCert };
}

/** Loads the serving certificate the configuration names: files, or generated into --cert-dir. */
export async function loadServingCertificate(
  config: Config,
  logger: Logger,
): Promise<ServingCertificate> {
  const { tlsCertFile: certFile, tlsKeyFile: keyFile, tlsCaFile: caFile } = config;
  if (certFile !== undefined && keyFile !== undefined) {
    const serving = await readCertificateFiles({ certFile, keyFile, caFile }, logger);
    logger.info({ certFile, caFile }, 'serving certificate loaded from files');
    return serving;
  }
  if (config.caSecret !== undefined) {
    // NOTE: the CA is not read from or stored in a Secret yet, so replicas
    // that each generate their own CA overwrite one another's caBundle.
    const fields = { caSecret: config.caSecret, certDir: config.certDir };
    logger.warn(fields, 'ca secret not supported yet, using the cert dir');
  }
  const hosts = { dnsNames: config.certDnsNames, ipAddresses: config.certIpAddresses };
  return loadOrGenerateCertificates({ certDir: config.certDir, ...hosts }, logger);
}

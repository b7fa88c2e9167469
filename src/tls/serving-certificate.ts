// A serving certificate from PEM files named on the command line, such as a
// mounted kubernetes.io/tls Secret or one that cert-manager issues.
import { readFile } from 'node:fs/promises';
import { errorCodes, ProductError } from '../errors.ts';
import type { Logger } from '../logger.ts';
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
  /**
   * PEM CAs merged into the webhook configuration's caBundle, one after
   * another; undefined leaves the caBundle as it is.
   */
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

/** Paths of the PEM files of --tls-cert-file, --tls-key-file and --tls-ca-file. */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile?: string;
}

/** The contents of CertificateFiles. */
export interface CertificateTexts {
  readonly cert: string;
  readonly key: string;
  readonly ca?: string;
}

/** Reads the files; throws ERR_TLS naming a file that cannot be read. */
export async function readCertificateTexts(files: CertificateFiles): Promise<CertificateTexts> {
  const cert = await readPem(files.certFile, 'TLS certificate file');
  const key = await readPem(files.keyFile, 'TLS key file');
  if (files.caFile === undefined) return { cert, key };
  return { cert, key, ca: await readPem(files.caFile, 'TLS CA file') };
}

/**
 * Checks that the key belongs to the certificate and that the CA, when
 * given, signed it. Throws ERR_TLS naming the file. An expired certificate is
 * logged at error level but still accepted, so that /healthz keeps passing
 * until the files are renewed and reloaded.
 */
export function checkCertificateTexts(
  files: CertificateFiles,
  texts: CertificateTexts,
  logger: Logger,
): ServingCertificate {
  const { cert, key, ca } = texts;
  const certificate = parseCertificate(cert);
  if (certificate === undefined) throw invalidFile(files.certFile, 'not a PEM certificate');
  if (!keyMatchesCertificate(certificate, key)) {
    throw invalidFile(files.keyFile, `not the private key of ${files.certFile}`);
  }
  if (certificate.validToDate.getTime() <= Date.now()) {
    const fields = { certFile: files.certFile, notAfter: certificate.validToDate };
    logger.error(fields, 'serving certificate has expired');
  }
  if (files.caFile === undefined || ca === undefined) return { cert, key };

  const authorities = parseCertificateBundle(ca);
  if (authorities.length === 0) throw invalidFile(files.caFile, 'no PEM certificate found');
  if (!authorities.some((authority) => isIssuedBy(certificate, authority))) {
    throw invalidFile(files.caFile, `no certificate in it signed ${files.certFile}`);
  }
  return { cert, key, caCert: ca };
}

/** Reads and checks the serving certificate files; see checkCertificateTexts(). */
export async function readCertificateFiles(
  files: CertificateFiles,
  logger: Logger,
): Promise<ServingCertificate> {
  return checkCertificateTexts(files, await readCertificateTexts(files), logger);
}

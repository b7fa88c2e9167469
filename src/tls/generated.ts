// Self-signed certificates kept in --cert-dir: a CA (ca.crt, ca.key) and a
// serving certificate it signed (tls.crt, tls.key). Stored files are reused
// when they still fit the configuration, so that a restart keeps the CA that
// the webhook configuration's caBundle already trusts.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.ts';
import { generateCertificateAuthority, issueCertificate, type KeyPair } from './certificates.ts';
import {
  certificateAuthorityProblem,
  servingCertificateProblem,
  type CertificateHosts,
} from './inspect.ts';
import type { ServingCertificate } from './serving-certificate.ts';

const dayMs = 24 * 60 * 60 * 1000;
const caValidityMs = 5 * 365 * dayMs;
const servingValidityMs = 365 * dayMs;
// A certificate that expires within this margin is replaced at startup, so a
// process that runs for weeks between restarts does not serve an expired one.
// NOTE: nothing renews the certificate while the process runs.
const renewBeforeMs = 30 * dayMs;

export interface GeneratedCertificateOptions extends CertificateHosts {
  readonly certDir: string;
  readonly now?: Date;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

type PairFiles = { readonly cert: string; readonly key: string };

const caFiles: PairFiles = { cert: 'ca.crt', key: 'ca.key' };
const servingFiles: PairFiles = { cert: 'tls.crt', key: 'tls.key' };

async function readPair(certDir: string, files: PairFiles): Promise<KeyPair | undefined> {
  const cert = await readOptional(join(certDir, files.cert));
  const key = await readOptional(join(certDir, files.key));
  return cert === undefined || key === undefined ? undefined : { cert, key };
}

// Writes through a temporary file and a rename, so a crash never leaves half a PEM.
async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, path);
}

async function writePair(certDir: string, files: PairFiles, pair: KeyPair): Promise<void> {
  await writeAtomically(join(certDir, files.key), pair.key, 0o600);
  await writeAtomically(join(certDir, files.cert), pair.cert, 0o644);
}

async function reusableCa(certDir: string, now: Date, logger: Logger): Promise<KeyPair> {
  const stored = await readPair(certDir, caFiles);
  const problem =
    stored === undefined ? 'no stored CA' : certificateAuthorityProblem(stored, now, renewBeforeMs);
  if (stored !== undefined && problem === undefined) return stored;

  const commonName = 'inference-extension-crds-ca';
  const ca = await generateCertificateAuthority({ commonName, validityMs: caValidityMs, now });
  await writePair(certDir, caFiles, ca);
  logger.info({ certDir, reason: problem }, 'certificate authority generated');
  return ca;
}

/**
 * Loads the CA and serving certificate from `options.certDir`, generating
 * and writing whichever is missing, expiring within 30 days, or no longer
 * matching the configured DNS names and IP addresses. A new CA always comes
 * with a new serving certificate.
 */
export async function loadOrGenerateCertificates(
  options: GeneratedCertificateOptions,
  logger: Logger,
): Promise<ServingCertificate> {
  const now = options.now ?? new Date();
  await mkdir(options.certDir, { recursive: true, mode: 0o700 });
  const ca = await reusableCa(options.certDir, now, logger);

  const stored = await readPair(options.certDir, servingFiles);
  const problem =
    stored === undefined
      ? 'no stored serving certificate'
      : servingCertificateProblem(stored, ca, options, now, renewBeforeMs);
  if (stored !== undefined && problem === undefined) {
    logger.info({ certDir: options.certDir }, 'stored serving certificate reused');
    return { cert: stored.cert, key: stored.key, caCert: ca.cert };
  }

  const serving = await issueCertificate({
    ca,
    commonName: options.dnsNames[0] ?? options.ipAddresses[0] ?? 'inference-extension-crds',
    hosts: [...options.dnsNames, ...options.ipAddresses],
    usage: 'server',
    validityMs: servingValidityMs,
    now,
  });
  await writePair(options.certDir, servingFiles, serving);
  logger.info({ certDir: options.certDir, reason: problem }, 'serving certificate generated');
  return { cert: serving.cert, key: serving.key, caCert: ca.cert };
}

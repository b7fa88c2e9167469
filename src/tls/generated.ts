// Self-signed certificates kept in --cert-dir: a CA (ca.crt, ca.key, and
// ca-previous.crt after a rotation) and a serving certificate it signed
// (tls.crt, tls.key). Stored files are reused while they fit the
// configuration and are not yet due for renewal, so that a restart keeps the
// CA that the webhook configuration's caBundle already trusts.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.ts';
import {
  authorityCertificates,
  defaultLifetimes,
  generateAuthority,
  issueServingCertificate,
  joinPem,
  type Authority,
  type AuthorityStore,
  type CertificateLifetimes,
} from './authority.ts';
import { decideAuthorityAction } from './ca-rotation.ts';
import { createCertDir } from './cert-dir.ts';
import type { KeyPair } from './certificates.ts';
import { servingCertificateProblem, type CertificateHosts } from './inspect.ts';
import { isRenewalDue, validityOf } from './renewal.ts';
import type { ServingCertificate } from './serving-certificate.ts';

export interface GeneratedCertificateOptions extends CertificateHosts {
  readonly certDir: string;
  readonly now?: Date;
  /** Validity and renewal point of generated certificates; defaultLifetimes when unset. */
  readonly lifetimes?: CertificateLifetimes;
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
const previousCaFile = 'ca-previous.crt';
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

async function writeAuthority(certDir: string, authority: Authority): Promise<void> {
  const previousPath = join(certDir, previousCaFile);
  if (authority.previousCert === undefined) await rm(previousPath, { force: true });
  else await writeAtomically(previousPath, authority.previousCert, 0o644);
  await writePair(certDir, caFiles, authority.current);
}

async function loadDirectoryAuthority(
  certDir: string,
  lifetimes: CertificateLifetimes,
  now: Date,
  logger: Logger,
): Promise<Authority> {
  const current = await readPair(certDir, caFiles);
  const previousCert = await readOptional(join(certDir, previousCaFile));
  const action = decideAuthorityAction({ current, previousCert }, now, lifetimes.renewalFraction);
  if (action.kind === 'keep') return { current: current as KeyPair, previousCert };
  const authority =
    action.kind === 'drop-previous'
      ? { current: current as KeyPair }
      : {
          current: await generateAuthority(lifetimes.caMs, now),
          previousCert: action.previousCert,
        };
  await writeAuthority(certDir, authority);
  const message =
    action.kind === 'drop-previous' ? 'previous ca removed' : 'certificate authority generated';
  logger.info({ certDir, reason: action.reason }, message);
  return authority;
}

/** Creates the store that keeps the CA and the serving certificate in `certDir`. */
export function createDirectoryAuthorityStore(
  certDir: string,
  lifetimes: CertificateLifetimes,
  logger: Logger,
): AuthorityStore {
  return {
    description: `folder ${certDir}`,
    async load(now) {
      await createCertDir(certDir);
      return loadDirectoryAuthority(certDir, lifetimes, now, logger);
    },
    saveServing: (serving) => writePair(certDir, servingFiles, serving),
  };
}

// Describes why the stored serving certificate cannot be served again, or returns undefined.
function storedServingProblem(
  stored: KeyPair | undefined,
  authority: Authority,
  options: GeneratedCertificateOptions,
  now: Date,
  fraction: number,
): string | undefined {
  if (stored === undefined) return 'no stored serving certificate';
  const problem = servingCertificateProblem(stored, authority.current, options, now, 0);
  if (problem !== undefined) return problem;
  const validity = validityOf(stored.cert);
  if (validity !== undefined && isRenewalDue(validity, fraction, now)) {
    return `certificate passed ${Math.round(fraction * 100)}% of its lifetime`;
  }
  return undefined;
}

/**
 * Loads the CA and serving certificate from `options.certDir`, generating
 * and writing whichever is missing, due for renewal, or no longer matching
 * the configured DNS names and IP addresses. A new CA always comes with a new
 * serving certificate. The returned caCert lists the current CA and, after a
 * rotation, the previous one.
 */
export async function loadOrGenerateCertificates(
  options: GeneratedCertificateOptions,
  logger: Logger,
): Promise<ServingCertificate> {
  const now = options.now ?? new Date();
  const lifetimes = options.lifetimes ?? defaultLifetimes;
  const store = createDirectoryAuthorityStore(options.certDir, lifetimes, logger);
  const authority = await store.load(now);
  const caCert = joinPem(authorityCertificates(authority));

  const stored = await readPair(options.certDir, servingFiles);
  const fraction = lifetimes.renewalFraction;
  const problem = storedServingProblem(stored, authority, options, now, fraction);
  if (stored !== undefined && problem === undefined) {
    logger.info({ certDir: options.certDir }, 'stored serving certificate reused');
    return { ...stored, caCert };
  }
  const serving = await issueServingCertificate(
    authority.current,
    options,
    lifetimes.servingMs,
    now,
  );
  await writePair(options.certDir, servingFiles, serving);
  logger.info({ certDir: options.certDir, reason: problem }, 'serving certificate generated');
  return { ...serving, caCert };
}

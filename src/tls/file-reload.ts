// Reloads the serving certificate when its files change. The kubelet updates a
// mounted Secret by writing a new timestamped folder and swapping the ..data
// symlink to it, and fs.watch does not report that reliably, so the files are
// read every few seconds and compared by content hash. Reading three small
// files costs microseconds.
import { createHash } from 'node:crypto';
import type { Logger } from '../logger.ts';
import {
  checkCertificateTexts,
  readCertificateTexts,
  type CertificateFiles,
  type CertificateTexts,
  type ServingCertificate,
} from './serving-certificate.ts';

export interface FileReloadOptions {
  readonly files: CertificateFiles;
  /** The certificate served now, read from the files at startup. */
  readonly initial: ServingCertificate;
  readonly intervalMs: number;
  /** Starts serving a reloaded certificate. */
  readonly apply: (serving: ServingCertificate) => Promise<void>;
  readonly logger: Logger;
}

export interface FileReload {
  /** Reads the files once and applies them if they changed; resolves when done. */
  check(): Promise<void>;
  /** Stops polling and waits for a running check. */
  stop(): Promise<void>;
}

function hashOf(texts: CertificateTexts): string {
  return createHash('sha256')
    .update(JSON.stringify([texts.cert, texts.key, texts.ca ?? null]))
    .digest('hex');
}

/**
 * Polls the files every `intervalMs`. A change that passes the checks of
 * checkCertificateTexts() is applied. A change that fails them, such as a key
 * that no longer matches, is logged once and the served certificate stays. A
 * file that cannot be read is logged when the error message changes.
 */
export function watchCertificateFiles(options: FileReloadOptions): FileReload {
  const { files, logger } = options;
  const initial = options.initial;
  let appliedHash = hashOf({ cert: initial.cert, key: initial.key, ca: initial.caCert });
  let rejectedHash: string | undefined;
  let lastReadError: string | undefined;

  const load = async (): Promise<void> => {
    const texts = await readCertificateTexts(files);
    lastReadError = undefined;
    const hash = hashOf(texts);
    if (hash === appliedHash || hash === rejectedHash) return;
    try {
      const serving = checkCertificateTexts(files, texts, logger);
      await options.apply(serving);
      appliedHash = hash;
      logger.info({ certFile: files.certFile }, 'serving certificate reloaded from files');
    } catch (err) {
      rejectedHash = hash;
      logger.warn(
        { err, certFile: files.certFile },
        'certificate files rejected, keeping the served certificate',
      );
    }
  };
  const check = async (): Promise<void> => {
    try {
      await load();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== lastReadError)
        logger.warn({ err, certFile: files.certFile }, 'certificate files unreadable');
      lastReadError = message;
    }
  };
  return startPolling(check, options.intervalMs);
}

// Runs `check` every `intervalMs`, never two at once.
function startPolling(check: () => Promise<void>, intervalMs: number): FileReload {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const run = (): Promise<void> => {
    running = running.then(check);
    return running;
  };
  const timer = setInterval(() => {
    if (!stopped) void run();
  }, intervalMs);
  return {
    check: run,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

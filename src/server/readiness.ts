// The state /readyz reports. The process is ready when the bundle is installed
// and Established, the serving certificate is loaded, and the webhook
// configuration's caBundle trusts that certificate. Once shutdown begins, it
// stays not ready.
import type { Logger } from '../logger.ts';

export const readinessChecks = ['bundle', 'tls', 'caBundle'] as const;
export type ReadinessCheck = (typeof readinessChecks)[number];

/** One check that is not passing, with a message an operator can act on. */
export interface NotReadyCheck {
  readonly check: ReadinessCheck | 'shutdown';
  readonly reason: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly notReady: readonly NotReadyCheck[];
}

export interface ReadinessState {
  /** Records the outcome of one check. `reason` describes what is missing when it fails. */
  set(check: ReadinessCheck, ready: boolean, reason?: string): void;
  isReady(check: ReadinessCheck): boolean;
  /** Fails readiness from now on, regardless of the checks. */
  markShuttingDown(): void;
  report(): ReadinessReport;
}

const initialReasons: Record<ReadinessCheck, string> = {
  bundle: 'CRD bundle not installed yet',
  tls: 'serving certificate not loaded yet',
  caBundle: 'webhook configuration caBundle not checked yet',
};

/** Creates the readiness state with every check failing; logs each change of a check. */
export function createReadinessState(logger: Logger): ReadinessState {
  const failing = new Map(Object.entries(initialReasons) as [ReadinessCheck, string][]);
  let shuttingDown = false;

  return {
    set(check, ready, reason) {
      const previous = failing.get(check);
      if (ready) {
        failing.delete(check);
        if (previous !== undefined) logger.info({ check }, 'readiness check passed');
        return;
      }
      const next = reason ?? `${check} not ready`;
      failing.set(check, next);
      if (previous !== next) logger.warn({ check, reason: next }, 'readiness check failing');
    },
    isReady: (check) => !failing.has(check),
    markShuttingDown() {
      shuttingDown = true;
    },
    report() {
      const notReady: NotReadyCheck[] = readinessChecks
        .filter((check) => failing.has(check))
        .map((check) => ({ check, reason: failing.get(check) as string }));
      if (shuttingDown) notReady.unshift({ check: 'shutdown', reason: 'server is shutting down' });
      return { ready: notReady.length === 0, notReady };
    },
  };
}

// The startup install, run in the background while the server already
// responds to probes. It reports to readiness and to the installer metrics.
import type { Config } from '../config/parse.ts';
import { crdNames, type Bundle } from '../crds/bundle.ts';
import {
  InstallError,
  installBundle,
  installOptionsFrom,
  type InstallReport,
} from '../crds/installer.ts';
import type { KubeClients } from '../kube/client.ts';
import { describeErrorWithCause } from '../kube/status.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { ReadinessState } from './readiness.ts';

export interface BackgroundInstallOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly bundle: Bundle;
  readonly clients: KubeClients;
  readonly readiness: ReadinessState;
  readonly metrics: Metrics;
  /** Stops the install between API requests, such as when the process shuts down. */
  readonly signal: AbortSignal;
}

function recordReport(metrics: Metrics, report: InstallReport): void {
  for (const outcome of report.outcomes) metrics.recordInstallOutcome(outcome.name, outcome.action);
}

// An install that failed before its report counts as failed for every CRD.
function recordFailure(metrics: Metrics, bundle: Bundle, err: unknown): void {
  if (err instanceof InstallError) {
    recordReport(metrics, err.report);
    return;
  }
  for (const name of crdNames(bundle)) metrics.recordInstallOutcome(name, 'failed');
}

/**
 * Starts the install and returns its promise, which rejects with the
 * installer's error once its retries are spent. The readiness check
 * 'bundle' passes when it succeeds and names the error when it fails.
 */
export function startBackgroundInstall(options: BackgroundInstallOptions): Promise<InstallReport> {
  const { clients, bundle, config, logger, readiness, metrics, signal } = options;
  const installOptions = { ...installOptionsFrom(config), signal };
  const installed = installBundle(clients, bundle, installOptions, logger);
  installed.then(
    (report) => {
      recordReport(metrics, report);
      readiness.set('bundle', true);
    },
    (err: unknown) => {
      if (signal.aborted) return;
      recordFailure(metrics, bundle, err);
      const reason = describeErrorWithCause(err);
      readiness.set('bundle', false, `CRD bundle install failed: ${reason}`);
    },
  );
  return installed;
}

import type { Config } from '../config/parse.ts';
import {
  installBundle,
  InstallError,
  installOptionsFrom,
  type CrdOutcome,
  type InstallReport,
} from '../crds/installer.ts';
import type { Logger } from '../logger.ts';
import { loadConfiguredBundle } from './bundle-source.ts';
import { clientsFor } from './clients.ts';

function describeOutcome(outcome: CrdOutcome): string {
  const previous = outcome.previousVersion ?? 'an unversioned install';
  switch (outcome.action) {
    case 'upgraded':
      return `upgraded from ${previous}`;
    case 'downgraded':
      return `downgraded from ${previous}`;
    case 'skipped-exists':
      return 'skipped: exists';
    case 'skipped-newer':
      return `skipped: newer ${previous} installed`;
    default:
      return outcome.action;
  }
}

/** Formats one line per CRD: its name, then what the install did with it. */
export function formatOutcomes(report: InstallReport): string[] {
  const width = Math.max(...report.outcomes.map((outcome) => outcome.name.length));
  return report.outcomes.map((outcome) => {
    const pending = report.notEstablished.includes(outcome.name) ? ', not established' : '';
    return `${outcome.name.padEnd(width)}  ${describeOutcome(outcome)}${pending}`;
  });
}

/**
 * Installs the bundle once. Returns 0 when every CRD is in place; failures
 * are thrown for the caller to log, after the lines of a partial install.
 */
export async function runInstall(config: Config, logger: Logger): Promise<number> {
  const bundle = await loadConfiguredBundle(config);
  const clients = clientsFor(config);
  try {
    const report = await installBundle(clients, bundle, installOptionsFrom(config), logger);
    for (const line of formatOutcomes(report)) console.log(line);
    return 0;
  } catch (err) {
    if (err instanceof InstallError) {
      for (const line of formatOutcomes(err.report)) console.log(line);
    }
    throw err;
  }
}

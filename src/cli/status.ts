import type { Config } from '../config/parse.ts';
import { inspectBundle, type CrdStatus } from '../crds/inspect.ts';
import type { Logger } from '../logger.ts';
import { loadConfiguredBundle } from './bundle-source.ts';
import { clientsFor } from './clients.ts';

const headers = ['NAME', 'INSTALLED', 'VERSION', 'SERVED', 'ESTABLISHED', 'KEEP', 'OBJECTS'];

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

// '-' marks a value that does not apply, 'unknown' one that could not be read.
function rowOf(status: CrdStatus): string[] {
  if (!status.installed) return [status.name, 'no', '-', '-', '-', '-', '-'];
  return [
    status.name,
    'yes',
    status.bundleVersion ?? '-',
    status.servedVersions.join(',') || '-',
    yesNo(status.established),
    status.keepOnUninstall ?? '-',
    status.objects === undefined ? 'unknown' : String(status.objects),
  ];
}

/** Formats the statuses as a table with aligned columns, kubectl-style. */
export function formatStatusTable(statuses: readonly CrdStatus[]): string {
  const rows = [headers, ...statuses.map(rowOf)];
  const widths = headers.map((_header, column) =>
    Math.max(...rows.map((row) => (row[column] as string).length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] as number))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

/** Prints the status table of the bundle's CRDs; returns 0 once the cluster could be read. */
export async function runStatus(config: Config, logger: Logger): Promise<number> {
  const bundle = await loadConfiguredBundle(config);
  const clients = clientsFor(config);
  const options = {
    requestTimeoutMs: config.requestTimeoutMs,
    retryTimeoutMs: config.connectTimeoutMs,
  };
  const statuses = await inspectBundle(clients, bundle, options, logger);
  console.log(formatStatusTable(statuses));
  return 0;
}

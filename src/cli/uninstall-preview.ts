// The preview `uninstall` prints instead of deleting when --yes is missing:
// the CRDs it would delete and how many objects each still has.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { Config } from '../config/parse.ts';
import { crdNames } from '../crds/bundle.ts';
import { countObjects } from '../crds/inspect.ts';
import { managedByLabel, managedByValue } from '../crds/metadata.ts';
import type { Logger } from '../logger.ts';
import { loadConfiguredBundle } from './bundle-source.ts';
import type { UninstallContext } from './uninstall.ts';

/** Exit code of an uninstall that stopped for lack of --yes, the same as a usage error. */
export const confirmationMissingExitCode = 2;

async function describeObjects(
  context: UninstallContext,
  live: V1CustomResourceDefinition,
  logger: Logger,
): Promise<string> {
  const name = live.metadata?.name;
  try {
    const count = await countObjects(context.clients, context.call, live, context.requestTimeoutMs);
    if (count === undefined) return 'no served version to count objects through';
    return count === 1 ? '1 object' : `${count} objects`;
  } catch (err) {
    logger.warn({ crd: name, err }, 'could not count objects');
    return 'objects could not be counted';
  }
}

// Lines for the CRDs that uninstall would delete: present and installed by this product.
async function deletionLines(config: Config, context: UninstallContext, logger: Logger) {
  const lines: string[] = [];
  for (const name of crdNames(await loadConfiguredBundle(config))) {
    const live = await context.crds.read(name);
    if (live?.metadata?.labels?.[managedByLabel] !== managedByValue) continue;
    lines.push(`  ${name}  (${await describeObjects(context, live, logger)})`);
  }
  return lines;
}

/**
 * Prints to stderr which CRDs uninstall would delete, changes nothing and
 * returns exit code 2. Throws a ProductError when a CRD cannot be read.
 * NOTE: so an unreachable API server makes it exit with 1, after
 * --connect-timeout, instead of listing the bundle's names.
 */
export async function previewUninstall(
  config: Config,
  context: UninstallContext,
  logger: Logger,
): Promise<number> {
  const lines = await deletionLines(config, context, logger);
  const header =
    lines.length === 0
      ? 'uninstall found no CRD of the bundle that this product installed.'
      : 'uninstall would delete these CRDs, and every object of their kinds:';
  console.error(`inference-extension-crds: ${header}`);
  for (const line of lines) console.error(line);
  if (lines.length > 0) {
    console.error(
      'It sets keep-on-uninstall to "false" on each first, which turns off their deletion guard.',
    );
  }
  console.error('Nothing was changed. Add --yes to delete them, or --keep-crds to keep them.');
  return confirmationMissingExitCode;
}

// The API server keeps objects in etcd at every version listed in a CRD's
// status.storedVersions, and it rejects an update that removes such a version
// from spec.versions. Checking first lets the installer stop before it writes
// anything, with an error that explains how to proceed.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { errorCodes, ProductError } from '../errors.ts';

/** Versions of one CRD that an update would drop although objects may still be stored at them. */
export interface DroppedStoredVersions {
  readonly crd: string;
  readonly versions: readonly string[];
}

/** Returns the versions in the live CRD's status.storedVersions that the desired spec lacks. */
export function droppedStoredVersions(
  desired: V1CustomResourceDefinition,
  live: V1CustomResourceDefinition,
): string[] {
  const kept = new Set((desired.spec?.versions ?? []).map((version) => version.name));
  return (live.status?.storedVersions ?? []).filter((version) => !kept.has(version));
}

/**
 * Builds the error that stops an install which would drop stored versions.
 * `nothingWritten` is true when the install stopped before its first write.
 */
export function storedVersionError(
  bundleVersion: string,
  problems: readonly DroppedStoredVersions[],
  nothingWritten: boolean,
): ProductError {
  const details = problems
    .map((problem) => `${problem.crd} (version ${problem.versions.join(', ')})`)
    .join('; ');
  return new ProductError(
    errorCodes.storedVersionDropped,
    `CRD bundle ${bundleVersion} drops versions still listed in status.storedVersions: ` +
      `${details}. ` +
      (nothingWritten ? 'No CRD was changed. ' : 'The CRDs listed were not changed. ') +
      'Migrate the objects stored at those versions to a served version and ' +
      'remove the versions from status.storedVersions ' +
      '(kubectl edit crd NAME --subresource=status), ' +
      'or install a bundle that still serves them.',
  );
}

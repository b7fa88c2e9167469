// Recognizes CRDs that another tool installed and removes the marks through
// which that tool still claims them. Pure functions of the live object.
import type { V1CustomResourceDefinition, V1ManagedFieldsEntry } from '@kubernetes/client-node';
import { fieldManager, managedByLabel, managedByValue } from './metadata.ts';

/** Written by `kubectl apply` (client-side); kubectl diffs against it on the next apply. */
export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
export const helmReleaseNameAnnotation = 'meta.helm.sh/release-name';
export const helmReleaseNamespaceAnnotation = 'meta.helm.sh/release-namespace';

// Helm adopts an object only when these name its release, and kubectl's
// three-way merge trusts the last-applied copy, so a taken-over CRD must lose them.
const ownershipAnnotations: readonly string[] = [
  lastAppliedAnnotation,
  helmReleaseNameAnnotation,
  helmReleaseNamespaceAnnotation,
];

/** Traces on a live CRD of the tool that installed it before this product. */
export interface PreviousOwner {
  /** Value of the app.kubernetes.io/managed-by label, such as "Helm". */
  readonly managedBy?: string;
  /** Helm release as namespace/name, from the meta.helm.sh annotations. */
  readonly helmRelease?: string;
  /** Field managers that wrote the spec or metadata, as "manager (operation)". */
  readonly managers: readonly string[];
  /** Whether a kubectl client-side apply left its last-applied-configuration. */
  readonly lastApplied: boolean;
}

function describeManagers(entries: readonly V1ManagedFieldsEntry[]): string[] {
  const managers = entries
    .filter((entry) => entry.manager !== fieldManager && entry.subresource !== 'status')
    .map((entry) => `${entry.manager ?? '(unnamed)'} (${entry.operation ?? 'unknown'})`);
  return [...new Set(managers)];
}

function describeHelmRelease(annotations: Record<string, string>): string | undefined {
  const name = annotations[helmReleaseNameAnnotation];
  if (name === undefined) return undefined;
  const namespace = annotations[helmReleaseNamespaceAnnotation] ?? '(no namespace)';
  return `${namespace}/${name}`;
}

/**
 * Returns the previous owner of a live CRD that lacks this product's
 * managed-by label, or undefined when the label shows the CRD is already ours.
 */
export function previousOwner(live: V1CustomResourceDefinition): PreviousOwner | undefined {
  const labels = live.metadata?.labels ?? {};
  if (labels[managedByLabel] === managedByValue) return undefined;
  const annotations = live.metadata?.annotations ?? {};
  return {
    managedBy: labels[managedByLabel],
    helmRelease: describeHelmRelease(annotations),
    managers: describeManagers(live.metadata?.managedFields ?? []),
    lastApplied: annotations[lastAppliedAnnotation] !== undefined,
  };
}

/** Returns a copy of the annotations without those through which another tool claims the object. */
export function withoutOwnershipAnnotations(
  annotations: Readonly<Record<string, string>>,
): Record<string, string> {
  const kept = { ...annotations };
  for (const name of ownershipAnnotations) delete kept[name];
  return kept;
}

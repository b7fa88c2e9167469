// Decides what the installer does with each CRD of the bundle, given the CRD
// as the API server returns it (or its absence). Pure functions: the installer
// reads, plans, then writes, and re-plans after a conflict.
//
// CRDs here are plain JSON as the API server sends and accepts it. They are
// typed with the client's model, which matches that JSON for every field read
// by name; the schemas are copied whole and never read.
import type { V1CustomResourceDefinition, V1ObjectMeta } from '@kubernetes/client-node';
import { specsMatch } from './compare.ts';
import { keepOnUninstallAnnotation, managedByLabel, managedByValue } from './metadata.ts';
import { previousOwner, withoutOwnershipAnnotations, type PreviousOwner } from './takeover.ts';
import { bundleVersionAnnotation, compareBundleVersions } from './version.ts';

export type CrdAction =
  | 'created'
  | 'upgraded'
  | 'unchanged'
  | 'reconciled'
  | 'skipped-exists'
  | 'skipped-newer'
  | 'downgraded';

export interface PlanOptions {
  readonly skipIfExists: boolean;
  readonly keepOnUninstall: boolean;
  readonly allowDowngrade: boolean;
}

/** The decision for one CRD: create it, replace it with `body`, or leave it as it is. */
export type CrdPlan =
  | {
      readonly kind: 'create';
      readonly action: 'created';
      readonly body: V1CustomResourceDefinition;
    }
  | {
      readonly kind: 'replace';
      readonly action: 'upgraded' | 'downgraded' | 'reconciled';
      readonly body: V1CustomResourceDefinition;
      readonly previousVersion?: string;
      /** Set when another tool installed the CRD and this write takes it over. */
      readonly previousOwner?: PreviousOwner;
    }
  | {
      readonly kind: 'leave';
      readonly action: 'unchanged' | 'skipped-exists' | 'skipped-newer';
      readonly previousVersion?: string;
    };

/** Returns the bundle-version annotation of a live CRD, or undefined when it has none. */
export function installedVersionOf(live: V1CustomResourceDefinition): string | undefined {
  return live.metadata?.annotations?.[bundleVersionAnnotation];
}

function labelsFor(desired: V1CustomResourceDefinition, live?: V1CustomResourceDefinition) {
  return {
    ...live?.metadata?.labels,
    ...desired.metadata?.labels,
    [managedByLabel]: managedByValue,
  };
}

function annotationsFor(
  desired: V1CustomResourceDefinition,
  keepOnUninstall: boolean,
  live?: V1CustomResourceDefinition,
) {
  return {
    ...withoutOwnershipAnnotations(live?.metadata?.annotations ?? {}),
    ...desired.metadata?.annotations,
    [keepOnUninstallAnnotation]: String(keepOnUninstall),
  };
}

/** Builds the object to create: the bundle CRD with this product's label and annotation. */
export function createBody(
  desired: V1CustomResourceDefinition,
  keepOnUninstall: boolean,
): V1CustomResourceDefinition {
  const metadata: V1ObjectMeta = {
    ...desired.metadata,
    labels: labelsFor(desired),
    annotations: annotationsFor(desired, keepOnUninstall),
  };
  return { apiVersion: desired.apiVersion, kind: desired.kind, metadata, spec: desired.spec };
}

/**
 * Builds the full replacement of a live CRD: the bundle's spec exactly, so
 * fields removed from the schema disappear, and the live metadata with this
 * product's marks. It keeps resourceVersion, so a concurrent write makes the
 * update fail with 409 instead of being overwritten, and it keeps every other
 * label and annotation except the ones that let another tool claim the CRD.
 */
export function replaceBody(
  desired: V1CustomResourceDefinition,
  live: V1CustomResourceDefinition,
  keepOnUninstall: boolean,
): V1CustomResourceDefinition {
  const metadata: V1ObjectMeta = {
    ...live.metadata,
    labels: labelsFor(desired, live),
    annotations: annotationsFor(desired, keepOnUninstall, live),
  };
  // Without managedFields in the request the server keeps the recorded ones.
  delete metadata.managedFields;
  return { apiVersion: desired.apiVersion, kind: desired.kind, metadata, spec: desired.spec };
}

function sameEntries(
  a: Record<string, string> | undefined,
  b: Record<string, string> | undefined,
): boolean {
  const left = Object.entries(a ?? {});
  return (
    left.length === Object.keys(b ?? {}).length && left.every(([key, value]) => b?.[key] === value)
  );
}

/** Returns whether the live CRD already equals the replacement body, server defaults aside. */
export function matchesLive(
  body: V1CustomResourceDefinition,
  live: V1CustomResourceDefinition,
): boolean {
  return (
    sameEntries(body.metadata?.labels, live.metadata?.labels) &&
    sameEntries(body.metadata?.annotations, live.metadata?.annotations) &&
    specsMatch(body.spec, live.spec)
  );
}

// Positive when the bundle is newer. A live CRD without a readable
// bundle-version predates versioned installs, so it counts as older.
function compareWithInstalled(bundleVersion: string, installed: string | undefined): number {
  if (installed === undefined) return 1;
  return compareBundleVersions(bundleVersion, installed) ?? 1;
}

function replaceAction(order: number): 'upgraded' | 'downgraded' | 'reconciled' {
  if (order > 0) return 'upgraded';
  if (order < 0) return 'downgraded';
  return 'reconciled';
}

/** Decides what to do with one CRD of the bundle. */
export function planCrd(
  desired: V1CustomResourceDefinition,
  bundleVersion: string,
  live: V1CustomResourceDefinition | undefined,
  options: PlanOptions,
): CrdPlan {
  if (live === undefined) {
    return {
      kind: 'create',
      action: 'created',
      body: createBody(desired, options.keepOnUninstall),
    };
  }
  const previousVersion = installedVersionOf(live);
  if (options.skipIfExists) return { kind: 'leave', action: 'skipped-exists', previousVersion };
  const order = compareWithInstalled(bundleVersion, previousVersion);
  if (order < 0 && !options.allowDowngrade) {
    return { kind: 'leave', action: 'skipped-newer', previousVersion };
  }
  const body = replaceBody(desired, live, options.keepOnUninstall);
  if (order === 0 && matchesLive(body, live))
    return { kind: 'leave', action: 'unchanged', previousVersion };
  const action = replaceAction(order);
  return { kind: 'replace', action, body, previousVersion, previousOwner: previousOwner(live) };
}

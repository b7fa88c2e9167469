// Reads the live CRDs under test/fixtures/live (see the README there).
import { readFileSync } from 'node:fs';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';

export type LiveFixture =
  | 'kubectl-client-side-apply'
  | 'helm-server-side-apply'
  | 'stored-version-v1alpha1'
  | 'installed-by-product';

/** Returns a fresh copy of a live CRD fixture, safe to change. */
export function liveFixture(name: LiveFixture): V1CustomResourceDefinition {
  const url = new URL(`../fixtures/live/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as V1CustomResourceDefinition;
}

// Semantic comparison of a bundle CRD's spec with the spec the API server
// returns. The server fills in defaults when it stores a CRD, so a plain deep
// comparison would report drift on every CRD and rewrite it on each start.
import { isDeepStrictEqual } from 'node:util';
import type { V1CustomResourceDefinitionSpec } from '@kubernetes/client-node';

type JsonObject = Record<string, unknown>;

function objectAt(root: JsonObject, path: readonly string[]): JsonObject | undefined {
  let current: unknown = root;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as JsonObject)[key];
  }
  return typeof current === 'object' && current !== null ? (current as JsonObject) : undefined;
}

// The defaults kube-apiserver fills into a CRD spec (SetDefaults_CustomResourceDefinitionSpec
// and SetDefaults_ServiceReference of apiextensions v1). Checked against v1.36.3, which
// returns the bundle's specs with only conversion added.
function applyServerDefaults(spec: JsonObject): void {
  const names = objectAt(spec, ['names']);
  const kind = names?.kind;
  if (names !== undefined && typeof kind === 'string' && kind !== '') {
    // The server treats an empty string like a missing name.
    if (!names.singular) names.singular = kind.toLowerCase();
    if (!names.listKind) names.listKind = `${kind}List`;
  }
  spec.conversion ??= { strategy: 'None' };
  const service = objectAt(spec, ['conversion', 'webhook', 'clientConfig', 'service']);
  if (service !== undefined) service.port ??= 443;
}

/** Returns a deep copy of a CRD spec with the defaults the API server would add. */
export function withServerDefaults(spec: V1CustomResourceDefinitionSpec): JsonObject {
  const copy = structuredClone(spec) as unknown as JsonObject;
  applyServerDefaults(copy);
  return copy;
}

/**
 * Returns whether two CRD specs mean the same once server defaults are filled
 * in. Key order does not matter; list order does, as it does for the server.
 */
export function specsMatch(
  desired: V1CustomResourceDefinitionSpec,
  live: V1CustomResourceDefinitionSpec | undefined,
): boolean {
  if (live === undefined) return false;
  return isDeepStrictEqual(withServerDefaults(desired), withServerDefaults(live));
}

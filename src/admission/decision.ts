// The guard's verdict on one admission request, from the request and the
// counts of the objects that plan.ts asked for. Pure, so every branch is
// unit-tested without an API server.
import type { Bundle } from '../crds/bundle.ts';
import { lookupFailedMessage, objectsExistMessage } from './message.ts';
import type { FailedLookup, FoundObjects } from './message.ts';
import type { LookupResult, ObjectType } from './objects.ts';
import { guardedCrd, isProtectionDisabled, lookupsFor } from './plan.ts';
import type { AdmissionRequest } from './review.ts';

export type DecisionReason =
  | 'not-guarded'
  | 'protection-disabled'
  | 'no-objects'
  | 'objects-exist'
  | 'lookup-failed';

/** The status a denial carries back to the client. */
export interface DenialStatus {
  readonly code: number;
  /** metav1.StatusReason. */
  readonly reason: string;
  readonly message: string;
}

export interface Decision {
  readonly verdict: 'allowed' | 'denied' | 'error';
  readonly reason: DecisionReason;
  /** Name of the bundle CRD the request deletes; absent when the request is not guarded. */
  readonly crd?: string;
  /** Present exactly when the verdict is not 'allowed'. */
  readonly status?: DenialStatus;
}

export interface DecisionInput {
  readonly request: AdmissionRequest;
  readonly bundle: Bundle;
  /** One result per type that lookupsFor() returned for the request. */
  readonly results: readonly LookupResult[];
}

function sameType(a: ObjectType, b: ObjectType): boolean {
  return a.group === b.group && a.version === b.version && a.plural === b.plural;
}

/** Pairs each type the request needs with its result; a type without one counts as failed. */
function resultsFor(
  types: readonly ObjectType[],
  results: readonly LookupResult[],
): LookupResult[] {
  return types.map(
    (type) =>
      results.find((result) => sameType(result.type, type)) ?? {
        type,
        ok: false,
        error: 'not counted',
      },
  );
}

function partition(results: readonly LookupResult[]): {
  found: FoundObjects[];
  failures: FailedLookup[];
} {
  const found: FoundObjects[] = [];
  const failures: FailedLookup[] = [];
  for (const result of results) {
    if (!result.ok) failures.push({ type: result.type, error: result.error });
    else if (result.count.count > 0) found.push({ type: result.type, count: result.count });
  }
  return { found, failures };
}

/**
 * Decides a request. Deleting a bundle CRD is denied with 403 while any
 * counted object exists, and with 503 when nothing was found but a count
 * failed, because the guard could not look. Every other request is allowed.
 */
export function decideDeletion({ request, bundle, results }: DecisionInput): Decision {
  const crd = guardedCrd(request, bundle);
  if (crd === undefined) return { verdict: 'allowed', reason: 'not-guarded' };
  const name = crd.metadata?.name as string;
  if (isProtectionDisabled(request)) {
    return { verdict: 'allowed', reason: 'protection-disabled', crd: name };
  }

  const { found, failures } = partition(resultsFor(lookupsFor(request, bundle), results));
  if (found.length > 0) {
    const message = objectsExistMessage(name, crd.spec.names.kind, found, failures);
    const status = { code: 403, reason: 'Forbidden', message };
    return { verdict: 'denied', reason: 'objects-exist', crd: name, status };
  }
  if (failures.length > 0) {
    const message = lookupFailedMessage(name, failures);
    const status = { code: 503, reason: 'ServiceUnavailable', message };
    return { verdict: 'error', reason: 'lookup-failed', crd: name, status };
  }
  return { verdict: 'allowed', reason: 'no-objects', crd: name };
}

// Denial messages, written for the person who ran `kubectl delete crd`. The API
// server prints them after `admission webhook "<name>" denied the request: `,
// so each starts in lowercase and stays a few lines long.
import { keepOnUninstallAnnotation } from '../crds/metadata.ts';
import {
  describeObjectRef,
  describeObjectType,
  type ObjectCount,
  type ObjectType,
} from './objects.ts';

export interface FoundObjects {
  readonly type: ObjectType;
  readonly count: ObjectCount;
}

export interface FailedLookup {
  readonly type: ObjectType;
  readonly error: string;
}

/** Returns the command that lifts the protection of one CRD. */
export function annotateCommand(crd: string): string {
  return `kubectl annotate crd ${crd} ${keepOnUninstallAnnotation}=false --overwrite`;
}

function describeCount(count: ObjectCount): string {
  return count.exact ? `${count.count}` : `at least ${count.count}`;
}

/** Returns a line such as "InferencePool inference.networking.k8s.io/v1: 25 (a/p1, a/p2, ...)". */
function foundLine({ type, count }: FoundObjects): string {
  const examples = count.examples.map(describeObjectRef);
  if (examples.length > 0 && count.count > examples.length) examples.push('...');
  const list = examples.length > 0 ? ` (${examples.join(', ')})` : '';
  return `  ${describeObjectType(type)}: ${describeCount(count)}${list}`;
}

function failureLine({ type, error }: FailedLookup): string {
  return `  ${describeObjectType(type)}: ${error}`;
}

/**
 * Returns the message for a deletion denied because objects exist. Lookups
 * that failed are listed too, since they may hide more objects.
 */
export function objectsExistMessage(
  crd: string,
  crdKind: string,
  found: readonly FoundObjects[],
  failures: readonly FailedLookup[],
): string {
  const lines = [`CRD ${crd} is protected while these objects exist:`, ...found.map(foundLine)];
  if (failures.length > 0) {
    lines.push('These could not be counted:', ...failures.map(failureLine));
  }
  lines.push(
    `Delete them first, or allow deleting the CRD and all its ${crdKind} objects with:`,
    `  ${annotateCommand(crd)}`,
  );
  return lines.join('\n');
}

/** Returns the message for a deletion denied because the objects could not be counted. */
export function lookupFailedMessage(crd: string, failures: readonly FailedLookup[]): string {
  return [
    `could not check whether deleting CRD ${crd} would lose objects, ` +
      'so the deletion was denied to be safe:',
    ...failures.map(failureLine),
    'Retry the deletion. If it keeps failing, check the API server and the webhook logs.',
  ].join('\n');
}

/** Returns the message for a deletion denied because the guard itself failed. */
export function internalErrorMessage(error: string): string {
  return (
    `the deletion guard failed (${error}), so the request was denied to be safe. ` +
    'Retry it, and check the webhook logs if it keeps failing.'
  );
}

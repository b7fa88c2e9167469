// The kinds of custom objects the guard counts before a CRD may go, and the
// result of counting one kind.

/** A namespaced custom resource, addressed the way the API server lists it. */
export interface ObjectType {
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
}

/** An object named by its namespace (empty for cluster-scoped objects) and name. */
export interface ObjectRef {
  readonly namespace: string;
  readonly name: string;
}

export interface ObjectCount {
  /** Number of objects, or a lower bound of it when `exact` is false. */
  readonly count: number;
  readonly exact: boolean;
  /** A few of the objects, in the API server's list order. */
  readonly examples: readonly ObjectRef[];
}

/** The outcome of counting one kind: its count, or why it could not be counted. */
export type LookupResult =
  | { readonly type: ObjectType; readonly ok: true; readonly count: ObjectCount }
  | {
      readonly type: ObjectType;
      readonly ok: false;
      /** Description of the failure, for the denial message. */
      readonly error: string;
      /** The error thrown, for the log. */
      readonly cause?: unknown;
    };

/** Returns the type as "<kind> <group>/<version>". */
export function describeObjectType(type: ObjectType): string {
  return `${type.kind} ${type.group}/${type.version}`;
}

/** Returns a key that is the same for every version of one resource. */
export function resourceKey(type: ObjectType): string {
  return `${type.plural}.${type.group}`;
}

export function describeObjectRef(ref: ObjectRef): string {
  return ref.namespace === '' ? ref.name : `${ref.namespace}/${ref.name}`;
}

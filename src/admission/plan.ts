// The admission requests the guard examines, and the objects it counts
// before it lets one of the bundle's CRDs be deleted.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { Bundle } from '../crds/bundle.ts';
import { keepOnUninstallAnnotation } from '../crds/metadata.ts';
import { resourceKey, type ObjectType } from './objects.ts';
import type { AdmissionRequest, EmbeddedObject } from './review.ts';

const crdGroup = 'apiextensions.k8s.io';
const crdResource = 'customresourcedefinitions';
const inferencePoolKind = 'InferencePool';

/** Returns the name of the object a DELETE removes; oldObject names it if the request does not. */
function deletedName(request: AdmissionRequest): string | undefined {
  if (request.name !== undefined && request.name !== '') return request.name;
  const metadata = request.oldObject?.metadata as { name?: unknown } | undefined;
  return typeof metadata?.name === 'string' ? metadata.name : undefined;
}

/**
 * Returns the bundle's CRD that the request deletes, or undefined for any
 * other request: another operation, another resource or a CRD outside the bundle.
 */
export function guardedCrd(
  request: AdmissionRequest,
  bundle: Bundle,
): V1CustomResourceDefinition | undefined {
  if (request.operation !== 'DELETE') return undefined;
  if (request.resource.group !== crdGroup || request.resource.resource !== crdResource) {
    return undefined;
  }
  const name = deletedName(request);
  return bundle.crds.find((crd) => crd.metadata?.name === name);
}

/**
 * Returns whether the request carries an oldObject whose metadata.name is not
 * request.name. Such an oldObject describes another object, so it is ignored.
 */
export function hasMismatchedOldObject(request: AdmissionRequest): boolean {
  if (request.name === undefined || request.name === '') return false;
  if (request.oldObject === undefined || request.oldObject === null) return false;
  // The body is untrusted: metadata may be null or not an object at all, and
  // then the stored object cannot be tied to the request.
  const metadata: unknown = request.oldObject.metadata;
  if (typeof metadata !== 'object' || metadata === null) return true;
  return (metadata as { name?: unknown }).name !== request.name;
}

// Returns the stored object of the request, or undefined when it is missing or names
// another object.
function storedObjectOf(request: AdmissionRequest): EmbeddedObject | null | undefined {
  return hasMismatchedOldObject(request) ? undefined : request.oldObject;
}

/**
 * Returns whether the stored CRD carries keep-on-uninstall "false". Without
 * an oldObject of the deleted CRD the annotation is unknown, so the CRD stays
 * protected.
 */
export function isProtectionDisabled(request: AdmissionRequest): boolean {
  const metadata = storedObjectOf(request)?.metadata as { annotations?: unknown } | undefined;
  const annotations = metadata?.annotations as Record<string, unknown> | undefined;
  return annotations?.[keepOnUninstallAnnotation] === 'false';
}

/**
 * Returns the version to list a CRD's objects with: the storage version when
 * it is served, else the first served version. Any served version lists every
 * object, because the API server converts them.
 */
interface VersionEntry {
  readonly name: string;
  readonly served?: unknown;
  readonly storage?: unknown;
}

// oldObject comes from the request body, so its entries may be of any type.
function isVersionEntry(value: unknown): value is VersionEntry {
  return typeof value === 'object' && value !== null && typeof (value as VersionEntry).name === 'string';
}

function listVersion(crd: V1CustomResourceDefinition): string | undefined {
  const entries: unknown[] = Array.isArray(crd.spec.versions) ? crd.spec.versions : [];
  const versions = entries.filter(isVersionEntry);
  const storage = versions.find((version) => version.storage === true && version.served === true);
  return (storage ?? versions.find((version) => version.served === true))?.name;
}

function isCrdLike(value: unknown): value is V1CustomResourceDefinition {
  const spec = (value as { spec?: { group?: unknown; names?: Record<string, unknown> } } | null)
    ?.spec;
  return (
    typeof spec?.group === 'string' &&
    typeof spec.names?.kind === 'string' &&
    typeof spec.names.plural === 'string'
  );
}

/** Returns the type of a CRD's objects, or undefined when it is malformed or serves no version. */
function objectTypeOf(crd: unknown): ObjectType | undefined {
  if (!isCrdLike(crd)) return undefined;
  const version = listVersion(crd);
  if (version === undefined) return undefined;
  const { kind, plural } = crd.spec.names;
  return { kind, group: crd.spec.group, version, plural };
}

/**
 * Returns the type of the deleted CRD's objects. The stored CRD (oldObject)
 * comes first because the cluster may serve other versions than the bundle.
 */
function deletedObjectType(
  request: AdmissionRequest,
  crd: V1CustomResourceDefinition,
): ObjectType {
  const type = objectTypeOf(storedObjectOf(request)) ?? objectTypeOf(crd);
  if (type === undefined) {
    // The API server rejects such a CRD, so only a broken bundle gets here.
    throw new Error(`CRD ${crd.metadata?.name} has no served version to list its objects with`);
  }
  return type;
}

/**
 * Returns the InferencePool types of the bundle, one per API group.
 * NOTE: the version is the bundle's. If the cluster's CRD of that group does
 * not serve it, the list gets 404 and those pools count as zero.
 */
export function inferencePoolTypes(bundle: Bundle): ObjectType[] {
  return bundle.crds
    .filter((crd) => crd.spec?.names?.kind === inferencePoolKind)
    .map(objectTypeOf)
    .filter((type): type is ObjectType => type !== undefined);
}

/**
 * Returns the object types to count before deciding the request: every
 * InferencePool type of the bundle and the deleted CRD's own type. It is
 * empty when the request is not guarded or its CRD is not protected.
 */
export function lookupsFor(request: AdmissionRequest, bundle: Bundle): ObjectType[] {
  const crd = guardedCrd(request, bundle);
  if (crd === undefined || isProtectionDisabled(request)) return [];
  const deleted = deletedObjectType(request, crd);
  const key = resourceKey(deleted);
  const pools = inferencePoolTypes(bundle).map((type) =>
    resourceKey(type) === key ? deleted : type,
  );
  return pools.includes(deleted) ? pools : [...pools, deleted];
}

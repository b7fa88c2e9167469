// Checks that a request body is an AdmissionReview (admission.k8s.io/v1) with
// the request fields the guard reads, before any of them is trusted. Every
// check returns a message that names the field and what was wrong, or
// undefined when the field is valid.
import {
  admissionApiVersion,
  admissionKind,
  operations,
  type AdmissionRequest,
} from './review.ts';

export type ParseResult =
  | { readonly ok: true; readonly request: AdmissionRequest }
  | { readonly ok: false; readonly message: string };

type Fields = Readonly<Record<string, unknown>>;

/** Returns a short name of a JSON value's type, for error messages. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalidType(path: string, expected: string, value: unknown): string {
  const found = value === undefined ? 'it is missing' : `got ${typeName(value)}`;
  return `${path} must be ${expected}, ${found}`;
}

function checkConstant(fields: Fields, key: string, expected: string): string | undefined {
  const value = fields[key];
  if (value === expected) return undefined;
  if (typeof value !== 'string') return invalidType(key, `"${expected}"`, value);
  return `${key} must be "${expected}", got ${JSON.stringify(value)}`;
}

function checkString(fields: Fields, path: string, key: string): string | undefined {
  const value = fields[key];
  return typeof value === 'string' ? undefined : invalidType(`${path}.${key}`, 'a string', value);
}

function checkOptional(
  fields: Fields,
  path: string,
  key: string,
  check: (fields: Fields, path: string, key: string) => string | undefined,
): string | undefined {
  return fields[key] === undefined ? undefined : check(fields, path, key);
}

function checkUid(fields: Fields): string | undefined {
  const value = fields.uid;
  if (typeof value === 'string' && value !== '') return undefined;
  if (value === '') return 'request.uid must be a non-empty string, got an empty string';
  return invalidType('request.uid', 'a non-empty string', value);
}

function checkOperation(fields: Fields): string | undefined {
  const value = fields.operation;
  if ((operations as readonly unknown[]).includes(value)) return undefined;
  const expected = `one of ${operations.join(', ')}`;
  if (typeof value !== 'string') return invalidType('request.operation', expected, value);
  return `request.operation must be ${expected}, got ${JSON.stringify(value)}`;
}

/** Checks a GroupVersionKind or GroupVersionResource: an object of three strings. */
function checkGroupVersion(last: 'kind' | 'resource') {
  return (fields: Fields, path: string, key: string): string | undefined => {
    const value = fields[key];
    const where = `${path}.${key}`;
    const expected = `an object with group, version and ${last}`;
    if (!isObject(value)) return invalidType(where, expected, value);
    return (
      checkString(value, where, 'group') ??
      checkString(value, where, 'version') ??
      checkString(value, where, last)
    );
  };
}

function checkUserInfo(fields: Fields, path: string, key: string): string | undefined {
  const value = fields[key];
  const where = `${path}.${key}`;
  if (!isObject(value)) return invalidType(where, 'an object', value);
  const groups = value.groups;
  const badGroups = groups !== undefined && !isStringArray(groups);
  return (
    checkOptional(value, where, 'username', checkString) ??
    checkOptional(value, where, 'uid', checkString) ??
    (badGroups ? invalidType(`${where}.groups`, 'an array of strings', groups) : undefined)
  );
}

function isStringArray(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function checkObjectOrNull(fields: Fields, path: string, key: string): string | undefined {
  const value = fields[key];
  if (value === null || isObject(value)) return undefined;
  return invalidType(`${path}.${key}`, 'an object or null', value);
}

function checkBoolean(fields: Fields, path: string, key: string): string | undefined {
  const value = fields[key];
  return typeof value === 'boolean' ? undefined : invalidType(`${path}.${key}`, 'a boolean', value);
}

function checkRequest(request: Fields): string | undefined {
  const path = 'request';
  return (
    checkUid(request) ??
    checkGroupVersion('kind')(request, path, 'kind') ??
    checkGroupVersion('resource')(request, path, 'resource') ??
    checkOptional(request, path, 'subResource', checkString) ??
    checkOptional(request, path, 'requestKind', checkGroupVersion('kind')) ??
    checkOptional(request, path, 'requestResource', checkGroupVersion('resource')) ??
    checkOptional(request, path, 'requestSubResource', checkString) ??
    checkOptional(request, path, 'name', checkString) ??
    checkOptional(request, path, 'namespace', checkString) ??
    checkOperation(request) ??
    checkUserInfo(request, path, 'userInfo') ??
    checkOptional(request, path, 'object', checkObjectOrNull) ??
    checkOptional(request, path, 'oldObject', checkObjectOrNull) ??
    checkOptional(request, path, 'dryRun', checkBoolean) ??
    checkOptional(request, path, 'options', checkObjectOrNull)
  );
}

/**
 * Parses a decoded JSON body as an AdmissionReview v1 carrying a request.
 * Fields the guard does not read, such as the objects' contents, are passed
 * through unchecked.
 */
export function parseAdmissionReview(body: unknown): ParseResult {
  if (!isObject(body)) return { ok: false, message: invalidType('body', 'a JSON object', body) };
  const request = body.request;
  const problem =
    checkConstant(body, 'apiVersion', admissionApiVersion) ??
    checkConstant(body, 'kind', admissionKind) ??
    (isObject(request) ? checkRequest(request) : invalidType('request', 'an object', request));
  if (problem !== undefined) return { ok: false, message: problem };
  return { ok: true, request: request as unknown as AdmissionRequest };
}

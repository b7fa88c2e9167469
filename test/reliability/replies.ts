// Checks of what the webhook returns: a JSON error for a 4xx, or a
// well-formed AdmissionReview v1 that carries the request's uid.
import assert from 'node:assert/strict';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Returns request.uid of a body that decodes to JSON with a string uid, else undefined. */
export function requestUidOf(bytes: Buffer): string | undefined {
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    const uid = (JSON.parse(text) as Json)?.request?.uid;
    return typeof uid === 'string' ? uid : undefined;
  } catch {
    return undefined;
  }
}

/** Asserts that `body` is a JSON error response: { error, message }, both non-empty strings. */
export function assertErrorBody(body: Json): void {
  assert.equal(typeof body?.error, 'string', 'error is a string');
  assert.notEqual(body.error, '', 'error is not empty');
  assert.equal(typeof body.message, 'string', 'message is a string');
  assert.notEqual(body.message, '', 'message is not empty');
}

/** Asserts that `body` is an AdmissionReview v1 response for the request with `uid`. */
export function assertReview(body: Json, uid: string): void {
  assert.equal(body?.apiVersion, 'admission.k8s.io/v1');
  assert.equal(body.kind, 'AdmissionReview');
  assert.equal(body.response?.uid, uid);
  assert.equal(typeof body.response.allowed, 'boolean', 'allowed is a boolean');
  if (body.response.allowed) return;
  assert.equal(typeof body.response.status?.code, 'number', 'a denial has a status code');
  assert.equal(typeof body.response.status.message, 'string', 'a denial has a message');
  assert.notEqual(body.response.status.message, '', 'the denial message is not empty');
}

// The three request shapes the benchmark sends: real AdmissionReviews that
// kube-apiserver sent, kept in test/fixtures/admission/.
import { readFileSync } from 'node:fs';

export interface Shape {
  readonly name: string;
  readonly description: string;
  /** The AdmissionReview as sent on the wire. */
  readonly body: string;
  readonly uid: string;
  /** Whether the guard must allow the request while InferencePools exist. */
  readonly allowed: boolean;
}

const folder = new URL('../test/fixtures/admission/', import.meta.url);

function load(name: string, fixture: string, description: string, allowed: boolean): Shape {
  const body = readFileSync(new URL(`${fixture}.json`, folder), 'utf8');
  const review = JSON.parse(body) as { request: { uid: string } };
  return { name, description, body: JSON.stringify(review), uid: review.request.uid, allowed };
}

/** Returns the shapes: an unrelated CRD, a protected CRD, and one with protection disabled. */
export function loadShapes(): readonly Shape[] {
  return [
    load('unrelated', 'delete-unrelated-crd', 'unrelated CRD, allowed', true),
    load('protected', 'delete-inferencepool-crd', 'protected CRD with pools, denied', false),
    load('disabled', 'delete-crd-keep-false', 'protection disabled, allowed', true),
  ];
}

/** A decoded AdmissionReview response, as far as the benchmark checks it. */
interface ReviewResponse {
  readonly kind?: unknown;
  readonly response?: { readonly uid?: unknown; readonly allowed?: unknown };
}

function parseReview(text: string): ReviewResponse | undefined {
  try {
    return JSON.parse(text) as ReviewResponse;
  } catch {
    return undefined;
  }
}

/**
 * Returns why a response is not the verdict its request's shape expects, or
 * undefined when it is. The response's uid identifies the shape that was sent.
 */
export function verdictProblem(
  shapes: readonly Shape[],
  status: number,
  text: string,
): string | undefined {
  if (status !== 200) return `HTTP ${status}: ${text.slice(0, 200)}`;
  const review = parseReview(text);
  if (review?.kind !== 'AdmissionReview') return `not an AdmissionReview: ${text.slice(0, 200)}`;
  const shape = shapes.find((candidate) => candidate.uid === review.response?.uid);
  if (shape === undefined) return `response uid ${String(review.response?.uid)} matches no request`;
  if (review.response?.allowed !== shape.allowed) {
    return `${shape.name}: expected allowed=${shape.allowed}, got ${text.slice(0, 400)}`;
  }
  return undefined;
}

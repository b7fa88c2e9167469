// Loads the AdmissionReview fixtures under test/fixtures/admission/.
import { readFileSync } from 'node:fs';
import { parseAdmissionReview } from '../../src/admission/parse.ts';
import type { AdmissionRequest } from '../../src/admission/review.ts';

const folder = new URL('../fixtures/admission/', import.meta.url);

export type ReviewFixture =
  | 'delete-inferencepool-crd'
  | 'delete-inferencepool-crd-dry-run'
  | 'delete-alpha-inferencepool-crd'
  | 'delete-crd-keep-false'
  | 'delete-unrelated-crd'
  | 'update-inferencepool-crd';

/** Returns a fresh copy of a fixture's JSON, safe to modify. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadReview(name: ReviewFixture): any {
  return JSON.parse(readFileSync(new URL(`${name}.json`, folder), 'utf8'));
}

/** Returns the parsed request of a fixture; throws when the fixture does not parse. */
export function loadRequest(name: ReviewFixture): AdmissionRequest {
  return parseReviewBody(loadReview(name));
}

/** Parses a review body that the test expects to be valid. */
export function parseReviewBody(body: unknown): AdmissionRequest {
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) throw new Error(`review does not parse: ${parsed.message}`);
  return parsed.request;
}

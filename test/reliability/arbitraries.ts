// fast-check generators of request bodies for the webhook: real
// AdmissionReviews, the same with one field removed or retyped, cut short,
// nested deeply, carrying prototype keys, or no JSON at all.
import fc from 'fast-check';
import { loadReview, type ReviewFixture } from '../admission/fixtures.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const fixtures: readonly ReviewFixture[] = [
  'delete-inferencepool-crd',
  'delete-inferencepool-crd-dry-run',
  'delete-alpha-inferencepool-crd',
  'delete-crd-keep-false',
  'delete-unrelated-crd',
  'update-inferencepool-crd',
];

const fixtureReviews = fixtures.map((name) => loadReview(name) as Json);

/** Returns the path of every value inside `value`, the root included. */
function pathsOf(value: Json, prefix: readonly (string | number)[] = []): (string | number)[][] {
  const paths: (string | number)[][] = [[...prefix]];
  if (value === null || typeof value !== 'object') return paths;
  const keys = Array.isArray(value) ? value.map((_item, index) => index) : Object.keys(value);
  for (const key of keys) paths.push(...pathsOf(value[key], [...prefix, key]));
  return paths;
}

const fixturePaths = fixtureReviews.map((review) =>
  pathsOf(review).filter((path) => path.length > 0),
);

/** A real review from the fixtures with a fresh uid. */
export const validReview: fc.Arbitrary<Json> = fc
  .record({ index: fc.nat({ max: fixtures.length - 1 }), uid: fc.uuid() })
  .map(({ index, uid }) => {
    const review = structuredClone(fixtureReviews[index]);
    review.request.uid = uid;
    return review;
  });

/** A value of any JSON type, to put where another type belongs. */
const anyJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.constant(''),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
);

type Mutation = { readonly op: 'delete' } | { readonly op: 'set'; readonly value: Json };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ op: 'delete' }),
  anyJson.map((value): Mutation => ({ op: 'set', value })),
);

function mutate(review: Json, path: readonly (string | number)[], change: Mutation): Json {
  const parent = path.slice(0, -1).reduce((node, key) => node[key], review);
  const key = path.at(-1) as string | number;
  if (change.op === 'set') parent[key] = change.value;
  else if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete parent[key];
  return review;
}

/** A real review with 1 to 3 of its fields deleted or replaced by a value of any type. */
export const mutatedReview: fc.Arbitrary<Json> = fc
  .record({
    index: fc.nat({ max: fixtures.length - 1 }),
    uid: fc.uuid(),
    changes: fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: 3 }),
  })
  .map(({ index, uid, changes }) => {
    const review = structuredClone(fixtureReviews[index]);
    review.request.uid = uid;
    const paths = fixturePaths[index] as (string | number)[][];
    for (const [choice, change] of changes) {
      const path = paths[choice % paths.length] as (string | number)[];
      // An earlier change may have removed the path's parent.
      try {
        mutate(review, path, change);
      } catch {
        // The review stays as the earlier changes left it.
      }
    }
    return review;
  });

/** A body nested `depth` levels deep inside a review's request. */
const deeplyNested: fc.Arbitrary<string> = fc
  .record({ depth: fc.integer({ min: 100, max: 50_000 }), open: fc.constantFrom('[', '{"a":') })
  .map(({ depth, open }) => {
    const close = open === '[' ? ']' : '}';
    const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
    return `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":${nested}}`;
  });

/** A review with __proto__ or constructor.prototype keys at the top or in the request. */
const prototypeKeys: fc.Arbitrary<string> = fc
  .record({
    review: validReview,
    where: fc.constantFrom('top', 'request'),
    key: fc.constantFrom('__proto__', 'constructor'),
  })
  .map(({ review, where, key }) => {
    const injected =
      key === '__proto__'
        ? '"__proto__":{"allowed":true}'
        : '"constructor":{"prototype":{"allowed":true}}';
    const text = JSON.stringify(where === 'top' ? review : review.request);
    const withKey = `{${injected},${text.slice(1)}`;
    return where === 'top'
      ? withKey
      : JSON.stringify({ ...review, request: 0 }).replace('"request":0', `"request":${withKey}`);
  });

/** A request body and the Content-Type header sent with it. */
export interface Body {
  readonly bytes: Buffer;
  readonly contentType?: string;
}

const json = (text: string): Body => ({
  bytes: Buffer.from(text),
  contentType: 'application/json',
});

const otherContentType = fc.constantFrom(
  undefined,
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/yaml',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
);

/** Bodies of every kind above, mostly JSON, some with another Content-Type. */
export const fuzzedBody: fc.Arbitrary<Body> = fc.oneof(
  { weight: 2, arbitrary: validReview.map((review) => json(JSON.stringify(review))) },
  { weight: 6, arbitrary: mutatedReview.map((review) => json(JSON.stringify(review))) },
  { weight: 3, arbitrary: fc.jsonValue().map((value) => json(JSON.stringify(value) ?? 'null')) },
  {
    weight: 3,
    arbitrary: fc.tuple(validReview, fc.nat()).map(([review, cut]) => {
      const text = JSON.stringify(review);
      return json(text.slice(0, cut % text.length));
    }),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }).map(json) },
  {
    weight: 2,
    arbitrary: fc
      .uint8Array({ maxLength: 300 })
      .map((bytes) => ({ bytes: Buffer.from(bytes), contentType: 'application/json' })),
  },
  { weight: 1, arbitrary: deeplyNested.map(json) },
  { weight: 1, arbitrary: prototypeKeys.map(json) },
  {
    weight: 1,
    arbitrary: fc.tuple(validReview, otherContentType).map(([review, contentType]) => ({
      bytes: Buffer.from(JSON.stringify(review)),
      contentType,
    })),
  },
);

/** Reviews padded with an annotation of `minBytes` to `maxBytes` bytes. */
export function paddedReview(minBytes: number, maxBytes: number): fc.Arbitrary<Body> {
  return fc
    .record({ review: validReview, size: fc.integer({ min: minBytes, max: maxBytes }) })
    .map(({ review, size }) => {
      const target = review.request.oldObject ?? review.request;
      target.metadata = { ...target.metadata, annotations: { padding: 'x'.repeat(size) } };
      return json(JSON.stringify(review));
    });
}

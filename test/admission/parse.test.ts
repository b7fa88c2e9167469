import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAdmissionReview } from '../../src/admission/parse.ts';
import { loadReview, type ReviewFixture } from './fixtures.ts';

const fixtures: readonly ReviewFixture[] = [
  'delete-inferencepool-crd',
  'delete-inferencepool-crd-dry-run',
  'delete-alpha-inferencepool-crd',
  'delete-crd-keep-false',
  'delete-unrelated-crd',
  'update-inferencepool-crd',
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Review = any;

/** Returns a valid review changed by `edit`. */
function edited(edit: (review: Review) => void): Review {
  const review = loadReview('delete-inferencepool-crd');
  edit(review);
  return review;
}

interface MalformedCase {
  readonly name: string;
  readonly body: unknown;
  readonly message: string;
}

const malformed: readonly MalformedCase[] = [
  { name: 'null', body: null, message: 'body must be a JSON object, got null' },
  { name: 'array', body: [], message: 'body must be a JSON object, got array' },
  { name: 'string', body: 'review', message: 'body must be a JSON object, got string' },
  { name: 'number', body: 7, message: 'body must be a JSON object, got number' },
  { name: 'undefined', body: undefined, message: 'body must be a JSON object, it is missing' },
  {
    name: 'missing apiVersion',
    body: edited((r) => delete r.apiVersion),
    message: 'apiVersion must be "admission.k8s.io/v1", it is missing',
  },
  {
    name: 'v1beta1 apiVersion',
    body: edited((r) => (r.apiVersion = 'admission.k8s.io/v1beta1')),
    message: 'apiVersion must be "admission.k8s.io/v1", got "admission.k8s.io/v1beta1"',
  },
  {
    name: 'wrong kind',
    body: edited((r) => (r.kind = 'AdmissionRequest')),
    message: 'kind must be "AdmissionReview", got "AdmissionRequest"',
  },
  {
    name: 'kind of wrong type',
    body: edited((r) => (r.kind = 1)),
    message: 'kind must be "AdmissionReview", got number',
  },
  {
    name: 'missing request',
    body: edited((r) => delete r.request),
    message: 'request must be an object, it is missing',
  },
  {
    name: 'null request',
    body: edited((r) => (r.request = null)),
    message: 'request must be an object, got null',
  },
  {
    name: 'array request',
    body: edited((r) => (r.request = [])),
    message: 'request must be an object, got array',
  },
  {
    name: 'missing uid',
    body: edited((r) => delete r.request.uid),
    message: 'request.uid must be a non-empty string, it is missing',
  },
  {
    name: 'uid number',
    body: edited((r) => (r.request.uid = 42)),
    message: 'request.uid must be a non-empty string, got number',
  },
  {
    name: 'empty uid',
    body: edited((r) => (r.request.uid = '')),
    message: 'request.uid must be a non-empty string, got an empty string',
  },
  {
    name: 'missing kind',
    body: edited((r) => delete r.request.kind),
    message: 'request.kind must be an object with group, version and kind, it is missing',
  },
  {
    name: 'kind without version',
    body: edited((r) => delete r.request.kind.version),
    message: 'request.kind.version must be a string, it is missing',
  },
  {
    name: 'missing resource',
    body: edited((r) => delete r.request.resource),
    message: 'request.resource must be an object with group, version and resource, it is missing',
  },
  {
    name: 'resource as string',
    body: edited((r) => (r.request.resource = 'customresourcedefinitions')),
    message: 'request.resource must be an object with group, version and resource, got string',
  },
  {
    name: 'resource group number',
    body: edited((r) => (r.request.resource.group = 5)),
    message: 'request.resource.group must be a string, got number',
  },
  {
    name: 'resource name missing',
    body: edited((r) => delete r.request.resource.resource),
    message: 'request.resource.resource must be a string, it is missing',
  },
  {
    name: 'subResource number',
    body: edited((r) => (r.request.subResource = 1)),
    message: 'request.subResource must be a string, got number',
  },
  {
    name: 'requestKind array',
    body: edited((r) => (r.request.requestKind = [])),
    message: 'request.requestKind must be an object with group, version and kind, got array',
  },
  {
    name: 'requestResource without group',
    body: edited((r) => delete r.request.requestResource.group),
    message: 'request.requestResource.group must be a string, it is missing',
  },
  {
    name: 'name number',
    body: edited((r) => (r.request.name = 3)),
    message: 'request.name must be a string, got number',
  },
  {
    name: 'name null',
    body: edited((r) => (r.request.name = null)),
    message: 'request.name must be a string, got null',
  },
  {
    name: 'namespace object',
    body: edited((r) => (r.request.namespace = {})),
    message: 'request.namespace must be a string, got object',
  },
  {
    name: 'missing operation',
    body: edited((r) => delete r.request.operation),
    message: 'request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, it is missing',
  },
  {
    name: 'lowercase operation',
    body: edited((r) => (r.request.operation = 'delete')),
    message: 'request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got "delete"',
  },
  {
    name: 'unknown operation',
    body: edited((r) => (r.request.operation = 'PATCH')),
    message: 'request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got "PATCH"',
  },
  {
    name: 'operation number',
    body: edited((r) => (r.request.operation = 2)),
    message: 'request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got number',
  },
  {
    name: 'missing userInfo',
    body: edited((r) => delete r.request.userInfo),
    message: 'request.userInfo must be an object, it is missing',
  },
  {
    name: 'username number',
    body: edited((r) => (r.request.userInfo.username = 1)),
    message: 'request.userInfo.username must be a string, got number',
  },
  {
    name: 'groups string',
    body: edited((r) => (r.request.userInfo.groups = 'system:masters')),
    message: 'request.userInfo.groups must be an array of strings, got string',
  },
  {
    name: 'groups with number',
    body: edited((r) => (r.request.userInfo.groups = ['a', 1])),
    message: 'request.userInfo.groups must be an array of strings, got array',
  },
  {
    name: 'object string',
    body: edited((r) => (r.request.object = '{}')),
    message: 'request.object must be an object or null, got string',
  },
  {
    name: 'oldObject array',
    body: edited((r) => (r.request.oldObject = [])),
    message: 'request.oldObject must be an object or null, got array',
  },
  {
    name: 'oldObject number',
    body: edited((r) => (r.request.oldObject = 0)),
    message: 'request.oldObject must be an object or null, got number',
  },
  {
    name: 'dryRun string',
    body: edited((r) => (r.request.dryRun = 'true')),
    message: 'request.dryRun must be a boolean, got string',
  },
  {
    name: 'options array',
    body: edited((r) => (r.request.options = [])),
    message: 'request.options must be an object or null, got array',
  },
];

describe('parseAdmissionReview', () => {
  for (const fixture of fixtures) {
    it(`accepts the ${fixture} fixture`, () => {
      const parsed = parseAdmissionReview(loadReview(fixture));
      assert.equal(parsed.ok, true, parsed.ok ? '' : parsed.message);
    });
  }

  it('returns the request fields', () => {
    const review = loadReview('delete-inferencepool-crd-dry-run');
    const parsed = parseAdmissionReview(review);
    assert.ok(parsed.ok);
    assert.equal(parsed.request.uid, review.request.uid);
    assert.equal(parsed.request.operation, 'DELETE');
    assert.equal(parsed.request.name, 'inferencepools.inference.networking.k8s.io');
    assert.equal(parsed.request.resource.resource, 'customresourcedefinitions');
    assert.equal(parsed.request.dryRun, true);
    assert.equal(parsed.request.object, null);
    assert.equal(typeof parsed.request.oldObject, 'object');
  });

  it('accepts a request without optional fields', () => {
    const parsed = parseAdmissionReview(
      edited((r) => {
        for (const key of ['name', 'object', 'oldObject', 'dryRun', 'options', 'requestKind']) {
          delete r.request[key];
        }
      }),
    );
    assert.equal(parsed.ok, true);
  });

  it('accepts null object and oldObject', () => {
    const parsed = parseAdmissionReview(edited((r) => (r.request.oldObject = null)));
    assert.equal(parsed.ok, true);
  });

  for (const { name, body, message } of malformed) {
    it(`rejects ${name}`, () => {
      const parsed = parseAdmissionReview(body);
      assert.equal(parsed.ok, false);
      assert.equal(parsed.ok ? undefined : parsed.message, message);
    });
  }
});

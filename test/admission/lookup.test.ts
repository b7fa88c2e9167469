import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  countFromList,
  countObjectTypes,
  type ObjectCounter,
} from '../../src/admission/lookup.ts';
import type { ObjectCount, ObjectType } from '../../src/admission/objects.ts';

const pools: ObjectType = {
  kind: 'InferencePool',
  group: 'inference.networking.k8s.io',
  version: 'v1',
  plural: 'inferencepools',
};
const alphaPools: ObjectType = { ...pools, group: 'inference.networking.x-k8s.io' };

function item(namespace: string, name: string): unknown {
  return { metadata: { namespace, name } };
}

const threeItems = [item('a', 'p1'), item('a', 'p2'), item('b', 'p3')];

describe('countFromList', () => {
  it('adds remainingItemCount to the items', () => {
    const list = { items: threeItems, metadata: { continue: 'token', remainingItemCount: 22 } };
    assert.equal(countFromList(list, 3).count, 25);
    assert.equal(countFromList(list, 3).exact, true);
  });

  it('counts the items of a complete list', () => {
    const count = countFromList({ items: threeItems, metadata: { continue: '' } }, 3);
    assert.deepEqual(count, {
      count: 3,
      exact: true,
      examples: [
        { namespace: 'a', name: 'p1' },
        { namespace: 'a', name: 'p2' },
        { namespace: 'b', name: 'p3' },
      ],
    });
  });

  it('counts an empty list as zero', () => {
    assert.deepEqual(countFromList({ items: [], metadata: {} }, 3), {
      count: 0,
      exact: true,
      examples: [],
    });
  });

  it('returns a lower bound for a continue token alone', () => {
    const count = countFromList({ items: threeItems, metadata: { continue: 'token' } }, 3);
    assert.equal(count.count, 4);
    assert.equal(count.exact, false);
  });

  it('returns a lower bound of one for a continue token and no items', () => {
    const count = countFromList({ items: [], metadata: { continue: 'token' } }, 3);
    assert.equal(count.count, 1);
    assert.equal(count.exact, false);
  });

  it('keeps at most limit examples when the server ignores limit', () => {
    const items = Array.from({ length: 10 }, (_, i) => item('a', `p${i}`));
    const count = countFromList({ items, metadata: {} }, 3);
    assert.equal(count.count, 10);
    assert.equal(count.examples.length, 3);
  });

  it('names an object without a namespace by name alone', () => {
    const count = countFromList({ items: [{ metadata: { name: 'global' } }] }, 3);
    assert.deepEqual(count.examples, [{ namespace: '', name: 'global' }]);
  });

  it('rejects a response without items', () => {
    assert.throws(() => countFromList({ metadata: {} }, 3), /has no items array/);
  });

  it('rejects a null response', () => {
    assert.throws(() => countFromList(null, 3), /has no items array/);
  });
});

/** An in-process ObjectCounter that returns counts from a table and records its calls. */
function tableCounter(answers: Map<ObjectType, () => Promise<ObjectCount>>): {
  counter: ObjectCounter;
  calls: ObjectType[];
} {
  const calls: ObjectType[] = [];
  const counter: ObjectCounter = {
    count(type) {
      calls.push(type);
      const answer = answers.get(type);
      if (answer === undefined) throw new Error(`no count for ${type.group}`);
      return answer();
    },
  };
  return { counter, calls };
}

const five: ObjectCount = { count: 5, exact: true, examples: [] };
const options = { limit: 3, timeoutMs: 200 };

describe('countObjectTypes', () => {
  it('makes no call without types', async () => {
    const { counter, calls } = tableCounter(new Map());
    assert.deepEqual(await countObjectTypes(counter, [], options), []);
    assert.equal(calls.length, 0);
  });

  it('returns one result per type in order', async () => {
    const { counter } = tableCounter(
      new Map([
        [pools, async () => five],
        [alphaPools, async () => ({ ...five, count: 0 })],
      ]),
    );
    const results = await countObjectTypes(counter, [pools, alphaPools], options);
    assert.deepEqual(results, [
      { type: pools, ok: true, count: five },
      { type: alphaPools, ok: true, count: { ...five, count: 0 } },
    ]);
  });

  it('starts every count before any finishes', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { counter, calls } = tableCounter(
      new Map([
        [pools, () => gate.then(() => five)],
        [alphaPools, () => gate.then(() => five)],
      ]),
    );
    const pending = countObjectTypes(counter, [pools, alphaPools], options);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls.length, 2);
    release();
    await pending;
  });

  it('turns a rejection into a failed result', async () => {
    const { counter } = tableCounter(
      new Map([[pools, async () => Promise.reject(new Error('connect ECONNREFUSED'))]]),
    );
    const [result] = await countObjectTypes(counter, [pools], options);
    assert.equal(result?.ok, false);
    assert.equal(result?.ok === false && result.error, 'connect ECONNREFUSED');
  });

  it('turns a synchronous throw into a failed result', async () => {
    const { counter } = tableCounter(new Map());
    const [result] = await countObjectTypes(counter, [pools], options);
    assert.equal(result?.ok === false && result.error, 'no count for inference.networking.k8s.io');
  });

  it('fails a count that outlives the timeout', async () => {
    const { counter } = tableCounter(new Map([[pools, () => new Promise<ObjectCount>(() => {})]]));
    const [result] = await countObjectTypes(counter, [pools], { limit: 3, timeoutMs: 50 });
    const expected = 'timed out after 50 ms waiting for the API server';
    assert.equal(result?.ok === false && result.error, expected);
  });

  it('describes an aborted request as a timeout', async () => {
    const aborted = Object.assign(new Error('The user aborted a request.'), { name: 'AbortError' });
    const { counter } = tableCounter(new Map([[pools, () => Promise.reject(aborted)]]));
    const [result] = await countObjectTypes(counter, [pools], options);
    const expected = 'timed out after 200 ms waiting for the API server';
    assert.equal(result?.ok === false && result.error, expected);
  });
});

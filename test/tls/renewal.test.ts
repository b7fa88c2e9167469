import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkIntervalMs,
  decideServingAction,
  isRenewalDue,
  nextCheckDelayMs,
  renewalTime,
  type ServingPolicy,
  type Validity,
} from '../../src/tls/renewal.ts';

const hourMs = 60 * 60 * 1000;
const dayMs = 24 * hourMs;
const issued = new Date('2026-03-01T00:00:00Z');
// A 7-day serving certificate backdated by 5 minutes, as certificates.ts issues it.
const sevenDays: Validity = {
  notBefore: new Date(issued.getTime() - 5 * 60 * 1000),
  notAfter: new Date(issued.getTime() + 7 * dayMs),
};
const policy: ServingPolicy = { renewalFraction: 0.67, caSettleMs: 5000, checkIntervalMs: 60_000 };

function at(offsetMs: number): Date {
  return new Date(issued.getTime() + offsetMs);
}

describe('renewalTime', () => {
  it('lies at the fraction of the lifetime', () => {
    const lifetimeMs = sevenDays.notAfter.getTime() - sevenDays.notBefore.getTime();
    const expected = sevenDays.notBefore.getTime() + 0.67 * lifetimeMs;
    assert.equal(renewalTime(sevenDays, 0.67).getTime(), expected);
  });

  it('is notBefore for a certificate that ends before it starts', () => {
    const inverted = { notBefore: sevenDays.notAfter, notAfter: sevenDays.notBefore };
    assert.equal(renewalTime(inverted, 0.67).getTime(), sevenDays.notAfter.getTime());
  });
});

describe('isRenewalDue', () => {
  it('is false for a fresh certificate', () => {
    assert.equal(isRenewalDue(sevenDays, 0.67, at(hourMs)), false);
  });

  it('is false just before the renewal time', () => {
    const justBefore = new Date(renewalTime(sevenDays, 0.67).getTime() - 1);
    assert.equal(isRenewalDue(sevenDays, 0.67, justBefore), false);
  });

  it('is true at the renewal time', () => {
    assert.equal(isRenewalDue(sevenDays, 0.67, renewalTime(sevenDays, 0.67)), true);
  });

  it('is true after expiry', () => {
    assert.equal(isRenewalDue(sevenDays, 0.67, at(8 * dayMs)), true);
  });
});

describe('checkIntervalMs', () => {
  it('is a tenth of a short validity', () => {
    assert.equal(checkIntervalMs(20_000), 2000);
  });

  it('is at least one second', () => {
    assert.equal(checkIntervalMs(5000), 1000);
  });

  it('is at most one minute', () => {
    assert.equal(checkIntervalMs(7 * dayMs), 60_000);
  });
});

describe('nextCheckDelayMs', () => {
  const bounds = { minDelayMs: 500, maxDelayMs: 60_000 };

  it('waits until the earliest due time', () => {
    const delay = nextCheckDelayMs([at(30_000), at(10_000)], at(0), bounds);
    assert.equal(delay, 10_000);
  });

  it('waits at most the maximum', () => {
    assert.equal(nextCheckDelayMs([at(dayMs)], at(0), bounds), 60_000);
  });

  it('waits the minimum for a time already passed', () => {
    assert.equal(nextCheckDelayMs([at(-5000)], at(0), bounds), 500);
  });

  it('waits the maximum without due times', () => {
    assert.equal(nextCheckDelayMs([], at(0), bounds), 60_000);
  });
});

describe('decideServingAction', () => {
  const dueNow = at(5 * dayMs);

  it('issues when only the temporary certificate is served', () => {
    const action = decideServingAction({ signedByCurrentCa: false }, policy, at(0));
    assert.deepEqual(action, { kind: 'issue', reason: 'no serving certificate yet' });
  });

  it('keeps a certificate not yet due', () => {
    const state = { served: sevenDays, signedByCurrentCa: true };
    assert.deepEqual(decideServingAction(state, policy, at(dayMs)), { kind: 'keep' });
  });

  it('issues a due certificate of the current CA', () => {
    const state = { served: sevenDays, signedByCurrentCa: true };
    const action = decideServingAction(state, policy, dueNow);
    assert.deepEqual(action, {
      kind: 'issue',
      reason: 'serving certificate passed 67% of its lifetime',
    });
  });

  it('waits while a new CA is not published', () => {
    const state = { served: sevenDays, signedByCurrentCa: false };
    const action = decideServingAction(state, policy, dueNow);
    assert.equal(action.kind, 'wait');
    assert.equal(action.kind === 'wait' ? action.retryInMs : 0, policy.checkIntervalMs);
  });

  it('waits until a new CA has settled', () => {
    const state = { served: sevenDays, signedByCurrentCa: false, caPublishedForMs: 2000 };
    const action = decideServingAction(state, policy, dueNow);
    assert.equal(action.kind, 'wait');
    assert.equal(action.kind === 'wait' ? action.retryInMs : 0, 3000);
  });

  it('issues from a new CA once it has settled', () => {
    const state = { served: sevenDays, signedByCurrentCa: false, caPublishedForMs: 5000 };
    const action = decideServingAction(state, policy, dueNow);
    assert.equal(action.kind, 'issue');
    assert.match(action.kind === 'issue' ? action.reason : '', /signed by the new CA/);
  });

  it('issues without waiting when expiry is near', () => {
    const state = { served: sevenDays, signedByCurrentCa: false };
    const action = decideServingAction(
      state,
      policy,
      new Date(sevenDays.notAfter.getTime() - 30_000),
    );
    assert.deepEqual(action, {
      kind: 'issue',
      reason: 'serving certificate expires before the next check',
    });
  });
});

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decideAuthorityAction } from '../../src/tls/ca-rotation.ts';
import {
  generateCertificateAuthority,
  issueCertificate,
  type KeyPair,
} from '../../src/tls/certificates.ts';

const dayMs = 24 * 60 * 60 * 1000;
const created = new Date('2026-01-10T00:00:00Z');
const fraction = 0.67;
let ca: KeyPair;
let otherCa: KeyPair;
let olderCa: KeyPair;
let leaf: KeyPair;

function after(days: number): Date {
  return new Date(created.getTime() + days * dayMs);
}

before(async () => {
  ca = await generateCertificateAuthority({
    commonName: 'rotation-ca',
    validityMs: 30 * dayMs,
    now: created,
  });
  otherCa = await generateCertificateAuthority({
    commonName: 'rotation-other',
    validityMs: 30 * dayMs,
    now: created,
  });
  // Expires 10 days after `created`.
  olderCa = await generateCertificateAuthority({
    commonName: 'rotation-older',
    validityMs: 20 * dayMs,
    now: after(-10),
  });
  leaf = await issueCertificate({
    ca,
    commonName: 'leaf',
    usage: 'server',
    validityMs: 30 * dayMs,
    now: created,
  });
});

describe('decideAuthorityAction', () => {
  it('keeps a fresh CA', () => {
    assert.deepEqual(decideAuthorityAction({ current: ca }, after(1), fraction), { kind: 'keep' });
  });

  it('keeps a CA with a live previous CA', () => {
    const stored = { current: ca, previousCert: olderCa.cert };
    assert.deepEqual(decideAuthorityAction(stored, after(1), fraction), { kind: 'keep' });
  });

  it('creates a CA when none is stored', () => {
    const action = decideAuthorityAction({}, after(1), fraction);
    assert.deepEqual(action, { kind: 'replace', reason: 'no CA stored', previousCert: undefined });
  });

  it('rotates a CA past the renewal fraction', () => {
    const action = decideAuthorityAction({ current: ca }, after(21), fraction);
    assert.deepEqual(action, {
      kind: 'replace',
      reason: 'CA passed 67% of its lifetime',
      previousCert: ca.cert,
    });
  });

  it('rotates an expired CA without keeping it', () => {
    const action = decideAuthorityAction({ current: ca }, after(31), fraction);
    assert.deepEqual(action, { kind: 'replace', reason: 'CA expired', previousCert: undefined });
  });

  it('replaces a CA whose key does not match', () => {
    const mixed = { cert: ca.cert, key: otherCa.key };
    const action = decideAuthorityAction({ current: mixed }, after(1), fraction);
    assert.equal(action.kind, 'replace');
    assert.match(action.kind === 'replace' ? action.reason : '', /private key does not match/);
  });

  it('keeps a live certificate of a broken pair as previous', () => {
    const mixed = { cert: ca.cert, key: otherCa.key };
    const action = decideAuthorityAction({ current: mixed }, after(1), fraction);
    assert.equal(action.kind === 'replace' ? action.previousCert : undefined, ca.cert);
  });

  it('replaces a leaf certificate stored as CA', () => {
    const action = decideAuthorityAction({ current: leaf }, after(1), fraction);
    assert.deepEqual(action, {
      kind: 'replace',
      reason: 'CA certificate is not a certificate authority',
      previousCert: undefined,
    });
  });

  it('replaces text that is not PEM', () => {
    const action = decideAuthorityAction(
      { current: { cert: 'garbage', key: 'garbage' } },
      after(1),
      fraction,
    );
    assert.equal(action.kind === 'replace' ? action.reason : '', 'CA certificate is not valid PEM');
  });

  it('drops an expired previous CA', () => {
    const stored = { current: ca, previousCert: olderCa.cert };
    const action = decideAuthorityAction(stored, after(11), fraction);
    assert.equal(action.kind, 'drop-previous');
  });

  it('drops a previous CA that is not PEM', () => {
    const action = decideAuthorityAction(
      { current: ca, previousCert: 'garbage' },
      after(1),
      fraction,
    );
    assert.equal(action.kind, 'drop-previous');
  });

  it('rotates before dropping the previous CA', () => {
    const stored = { current: ca, previousCert: olderCa.cert };
    const action = decideAuthorityAction(stored, after(21), fraction);
    assert.equal(action.kind, 'replace');
  });
});

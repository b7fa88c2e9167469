import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  generateCertificateAuthority,
  issueCertificate,
  type KeyPair,
} from '../../src/tls/certificates.ts';
import {
  casToPublish,
  fingerprintOf,
  initialRenewalState,
  servingStateOf,
} from '../../src/tls/renewal-state.ts';

const dayMs = 24 * 60 * 60 * 1000;
const now = new Date();
let current: KeyPair;
let previous: KeyPair;
let expired: KeyPair;
let leaf: KeyPair;

function blocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

before(async () => {
  current = await generateCertificateAuthority({
    commonName: 'state-current',
    validityMs: 30 * dayMs,
  });
  previous = await generateCertificateAuthority({
    commonName: 'state-previous',
    validityMs: 30 * dayMs,
  });
  expired = await generateCertificateAuthority({
    commonName: 'state-expired',
    validityMs: dayMs,
    now: new Date(now.getTime() - 2 * dayMs),
  });
  leaf = await issueCertificate({
    ca: previous,
    commonName: 'localhost',
    usage: 'server',
    validityMs: dayMs,
  });
});

describe('casToPublish', () => {
  it('lists the current CA, then the previous one', () => {
    const pem = casToPublish({ current, previousCert: previous.cert }, undefined, now);
    assert.deepEqual(blocks(pem), [current.cert, previous.cert]);
  });

  it('adds the CA of the served certificate once', () => {
    const pem = casToPublish({ current }, previous.cert, now);
    assert.deepEqual(blocks(pem), [current.cert, previous.cert]);
  });

  it('does not repeat a CA', () => {
    const pem = casToPublish({ current, previousCert: previous.cert }, previous.cert, now);
    assert.equal(blocks(pem).length, 2);
  });

  it('leaves out an expired CA', () => {
    const pem = casToPublish({ current, previousCert: expired.cert }, undefined, now);
    assert.deepEqual(blocks(pem), [current.cert]);
  });
});

describe('servingStateOf', () => {
  it('finds the CA that signed the initial certificate', () => {
    const state = initialRenewalState(
      { ...leaf, caCert: `${current.cert}\n${previous.cert}` },
      false,
    );
    state.authority = { current: previous };
    assert.equal(servingStateOf(state, now).signedByCurrentCa, true);
  });

  it('sees a new current CA', () => {
    const state = initialRenewalState({ ...leaf, caCert: previous.cert }, false);
    state.authority = { current, previousCert: previous.cert };
    assert.equal(servingStateOf(state, now).signedByCurrentCa, false);
  });

  it('reports no served certificate while it is temporary', () => {
    const state = initialRenewalState(leaf, true);
    state.authority = { current };
    assert.equal(servingStateOf(state, now).served, undefined);
  });

  it('measures how long the current CA has been published', () => {
    const state = initialRenewalState(leaf, false);
    state.authority = { current };
    state.publishedSince.set(fingerprintOf(current.cert), now.getTime() - 4000);
    assert.equal(servingStateOf(state, now).caPublishedForMs, 4000);
  });
});

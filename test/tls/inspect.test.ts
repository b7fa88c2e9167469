import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { generateCertificateAuthority, issueCertificate, type KeyPair } from '../../src/tls/certificates.ts';
import {
  certificateAuthorityProblem,
  hostsMatch,
  parseCertificateBundle,
  servingCertificateProblem,
  subjectAltNames,
} from '../../src/tls/inspect.ts';

const dayMs = 24 * 60 * 60 * 1000;
const renewBeforeMs = 30 * dayMs;
const hosts = { dnsNames: ['localhost', 'guard.example.svc'], ipAddresses: ['127.0.0.1', '::1'] };

let ca: KeyPair;
let otherCa: KeyPair;
let serving: KeyPair;

before(async () => {
  ca = await generateCertificateAuthority({ commonName: 'inspect-test-ca', validityMs: 365 * dayMs });
  otherCa = await generateCertificateAuthority({ commonName: 'inspect-other-ca', validityMs: 365 * dayMs });
  serving = await issueCertificate({
    ca,
    commonName: 'localhost',
    hosts: [...hosts.dnsNames, ...hosts.ipAddresses],
    usage: 'server',
    validityMs: 90 * dayMs,
  });
});

describe('subjectAltNames', () => {
  it('reads DNS names and IP addresses', () => {
    const names = subjectAltNames(new X509Certificate(serving.cert));
    assert.deepEqual(names.dnsNames, ['localhost', 'guard.example.svc']);
    assert.deepEqual(names.ipAddresses, ['127.0.0.1', '::1']);
  });
});

describe('hostsMatch', () => {
  it('ignores order and case', () => {
    const expected = { dnsNames: ['GUARD.example.svc', 'localhost'], ipAddresses: ['::1', '127.0.0.1'] };
    assert.equal(hostsMatch(new X509Certificate(serving.cert), expected), true);
  });

  it('rejects a missing DNS name', () => {
    const expected = { ...hosts, dnsNames: [...hosts.dnsNames, 'extra.example'] };
    assert.equal(hostsMatch(new X509Certificate(serving.cert), expected), false);
  });

  it('rejects an extra IP address on the certificate', () => {
    const expected = { ...hosts, ipAddresses: ['127.0.0.1'] };
    assert.equal(hostsMatch(new X509Certificate(serving.cert), expected), false);
  });

  it('compares IPv6 addresses in any notation', () => {
    const expected = { ...hosts, ipAddresses: ['127.0.0.1', '0:0:0:0:0:0:0:1'] };
    assert.equal(hostsMatch(new X509Certificate(serving.cert), expected), true);
  });
});

describe('certificateAuthorityProblem', () => {
  it('accepts a fresh CA', () => {
    assert.equal(certificateAuthorityProblem(ca, new Date(), renewBeforeMs), undefined);
  });

  it('rejects a leaf certificate', () => {
    assert.match(certificateAuthorityProblem(serving, new Date(), renewBeforeMs) ?? '', /not a certificate authority/);
  });

  it('rejects a key of another CA', () => {
    const mixed = { cert: ca.cert, key: otherCa.key };
    assert.match(certificateAuthorityProblem(mixed, new Date(), renewBeforeMs) ?? '', /private key does not match/);
  });

  it('rejects a CA inside the renewal margin', () => {
    const late = new Date(Date.now() + 340 * dayMs);
    assert.match(certificateAuthorityProblem(ca, late, renewBeforeMs) ?? '', /expires within/);
  });

  it('rejects text that is not PEM', () => {
    const garbage = { cert: 'not a certificate', key: ca.key };
    assert.match(certificateAuthorityProblem(garbage, new Date(), renewBeforeMs) ?? '', /not valid PEM/);
  });
});

describe('servingCertificateProblem', () => {
  it('accepts a certificate that fits', () => {
    assert.equal(servingCertificateProblem(serving, ca, hosts, new Date(), renewBeforeMs), undefined);
  });

  it('rejects a certificate of another CA', () => {
    const problem = servingCertificateProblem(serving, otherCa, hosts, new Date(), renewBeforeMs);
    assert.match(problem ?? '', /not signed by the stored CA/);
  });

  it('rejects changed names', () => {
    const changed = { dnsNames: ['other.example'], ipAddresses: hosts.ipAddresses };
    const problem = servingCertificateProblem(serving, ca, changed, new Date(), renewBeforeMs);
    assert.match(problem ?? '', /subjectAltNames differ/);
  });

  it('rejects a certificate inside the renewal margin', () => {
    const late = new Date(Date.now() + 70 * dayMs);
    const problem = servingCertificateProblem(serving, ca, hosts, late, renewBeforeMs);
    assert.match(problem ?? '', /expires within/);
  });

  it('rejects a certificate not valid yet', () => {
    const early = new Date(Date.now() - 2 * dayMs);
    const problem = servingCertificateProblem(serving, ca, hosts, early, renewBeforeMs);
    assert.match(problem ?? '', /not valid yet/);
  });
});

describe('parseCertificateBundle', () => {
  it('reads every certificate of a bundle', () => {
    const bundle = `${ca.cert}\n${otherCa.cert}`;
    assert.equal(parseCertificateBundle(bundle).length, 2);
  });

  it('returns nothing for text without PEM blocks', () => {
    assert.equal(parseCertificateBundle('hello').length, 0);
  });
});

// The renewal loop with a CA in a folder, so no API server is involved:
// certificates that live 4 s are renewed while the test watches.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuthorityStore, CertificateLifetimes } from '../../src/tls/authority.ts';
import { startCertificateRenewal, type RenewalOptions } from '../../src/tls/certificate-renewal.ts';
import { createDirectoryAuthorityStore } from '../../src/tls/generated.ts';
import type { ServingCertificate } from '../../src/tls/serving-certificate.ts';
import { generateTemporaryCertificate } from '../../src/tls/temporary.ts';
import { captureLogs } from '../server/log-capture.ts';
import { waitFor } from '../server/tls-probe.ts';

const hosts = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] };
const lifetimes: CertificateLifetimes = { servingMs: 4000, caMs: 600_000, renewalFraction: 0.5 };
const folders: string[] = [];

async function certDir(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'inference-crds-renewal-'));
  folders.push(folder);
  return folder;
}

function optionsFor(
  store: AuthorityStore,
  initial: ServingCertificate,
  applied: ServingCertificate[],
) {
  const logs = captureLogs();
  const failures: string[] = [];
  const options: RenewalOptions = {
    store,
    hosts,
    lifetimes,
    initial,
    initialIsTemporary: true,
    publish: async () => true,
    apply: async (serving) => {
      applied.push(serving);
    },
    onFailure: (reason) => failures.push(reason),
    logger: logs.logger,
  };
  return { options, failures, logs };
}

let temporary: ServingCertificate;

before(async () => {
  temporary = await generateTemporaryCertificate(hosts);
});

after(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

describe('startCertificateRenewal', () => {
  it('replaces the temporary certificate at once', async () => {
    const folder = await certDir();
    const applied: ServingCertificate[] = [];
    const { options } = optionsFor(
      createDirectoryAuthorityStore(folder, lifetimes, captureLogs().logger),
      temporary,
      applied,
    );
    const renewal = startCertificateRenewal(options);
    try {
      await waitFor('a certificate is applied', async () => applied.length > 0, 10_000);
      const ca = new X509Certificate(await readFile(join(folder, 'ca.crt'), 'utf8'));
      assert.equal(new X509Certificate(applied[0]!.cert).verify(ca.publicKey), true);
    } finally {
      await renewal.stop();
    }
  });

  it('renews before each certificate expires', async () => {
    const folder = await certDir();
    const applied: ServingCertificate[] = [];
    const { options } = optionsFor(
      createDirectoryAuthorityStore(folder, lifetimes, captureLogs().logger),
      temporary,
      applied,
    );
    const renewal = startCertificateRenewal(options);
    try {
      await waitFor('three certificates are applied', async () => applied.length >= 3, 30_000);
    } finally {
      await renewal.stop();
    }
    for (let index = 1; index < applied.length; index++) {
      const previous = new X509Certificate(applied[index - 1]!.cert);
      const next = new X509Certificate(applied[index]!.cert);
      assert.ok(
        next.validFromDate.getTime() < previous.validToDate.getTime(),
        `certificate ${index} came after expiry`,
      );
    }
  });

  it('writes each renewed certificate to the folder', async () => {
    const folder = await certDir();
    const applied: ServingCertificate[] = [];
    const { options } = optionsFor(
      createDirectoryAuthorityStore(folder, lifetimes, captureLogs().logger),
      temporary,
      applied,
    );
    const renewal = startCertificateRenewal(options);
    try {
      await waitFor('two certificates are applied', async () => applied.length >= 2, 30_000);
    } finally {
      await renewal.stop();
    }
    assert.equal(await readFile(join(folder, 'tls.crt'), 'utf8'), applied.at(-1)?.cert);
  });

  it('reports a failing store and keeps trying', async () => {
    const folder = await certDir();
    const working = createDirectoryAuthorityStore(folder, lifetimes, captureLogs().logger);
    let calls = 0;
    const flaky: AuthorityStore = {
      description: 'flaky store',
      load: async (now) => {
        calls++;
        if (calls <= 2) throw new Error('store unavailable');
        return working.load(now);
      },
    };
    const applied: ServingCertificate[] = [];
    const { options, failures, logs } = optionsFor(flaky, temporary, applied);
    const renewal = startCertificateRenewal(options);
    try {
      await waitFor('a certificate is applied', async () => applied.length > 0, 20_000);
    } finally {
      await renewal.stop();
    }
    assert.equal(failures.length, 2);
    assert.match(
      failures[0] ?? '',
      /cannot renew the serving certificate from flaky store: store unavailable/,
    );
    assert.equal(logs.lines.filter((line) => line.msg === 'certificate renewal failed').length, 1);
  });
});

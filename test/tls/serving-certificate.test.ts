import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasCode } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { generateCertificateAuthority, issueCertificate, type KeyPair } from '../../src/tls/certificates.ts';
import { readCertificateFiles } from '../../src/tls/serving-certificate.ts';

const logger = createLogger('silent');
const dayMs = 24 * 60 * 60 * 1000;
let folder: string;
let ca: KeyPair;
let otherCa: KeyPair;
let serving: KeyPair;

async function write(name: string, text: string): Promise<string> {
  const path = join(folder, name);
  await writeFile(path, text);
  return path;
}

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'inference-crds-tls-files-'));
  ca = await generateCertificateAuthority({ commonName: 'files-test-ca', validityMs: 30 * dayMs });
  otherCa = await generateCertificateAuthority({ commonName: 'files-other-ca', validityMs: 30 * dayMs });
  serving = await issueCertificate({ ca, commonName: 'localhost', hosts: ['localhost'], usage: 'server', validityMs: 30 * dayMs });
});

after(() => rm(folder, { recursive: true, force: true }));

describe('readCertificateFiles', () => {
  it('reads certificate, key and CA', async () => {
    const files = { certFile: await write('a.crt', serving.cert), keyFile: await write('a.key', serving.key), caFile: await write('ca.crt', ca.cert) };
    const loaded = await readCertificateFiles(files, logger);
    assert.equal(loaded.cert, serving.cert);
    assert.equal(loaded.key, serving.key);
    assert.equal(loaded.caCert, ca.cert);
  });

  it('leaves the CA unset without a CA file', async () => {
    const files = { certFile: await write('b.crt', serving.cert), keyFile: await write('b.key', serving.key) };
    const loaded = await readCertificateFiles(files, logger);
    assert.equal(loaded.caCert, undefined);
  });

  it('accepts a CA bundle holding the signer', async () => {
    const caFile = await write('bundle.crt', `${otherCa.cert}\n${ca.cert}`);
    const files = { certFile: await write('c.crt', serving.cert), keyFile: await write('c.key', serving.key), caFile };
    const loaded = await readCertificateFiles(files, logger);
    assert.equal(loaded.caCert, `${otherCa.cert}\n${ca.cert}`);
  });

  it('rejects a missing certificate file', async () => {
    const files = { certFile: join(folder, 'missing.crt'), keyFile: await write('d.key', serving.key) };
    await assert.rejects(readCertificateFiles(files, logger), (err) => {
      assert.ok(hasCode(err, 'ERR_TLS'));
      assert.match(err.message, /cannot read TLS certificate file .*missing\.crt/);
      return true;
    });
  });

  it('rejects a file that is not PEM', async () => {
    const files = { certFile: await write('e.crt', 'not pem'), keyFile: await write('e.key', serving.key) };
    await assert.rejects(readCertificateFiles(files, logger), /invalid TLS file .*e\.crt: not a PEM certificate/);
  });

  it('rejects a key of another certificate', async () => {
    const files = { certFile: await write('f.crt', serving.cert), keyFile: await write('f.key', ca.key) };
    await assert.rejects(readCertificateFiles(files, logger), /f\.key: not the private key of .*f\.crt/);
  });

  it('rejects a CA that did not sign the certificate', async () => {
    const files = {
      certFile: await write('g.crt', serving.cert),
      keyFile: await write('g.key', serving.key),
      caFile: await write('g-ca.crt', otherCa.cert),
    };
    await assert.rejects(readCertificateFiles(files, logger), /g-ca\.crt: no certificate in it signed/);
  });
});

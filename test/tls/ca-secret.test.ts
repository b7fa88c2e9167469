// The shared CA Secret against the real API server: creation, adoption by
// replicas that lose the create race, rotation and its conflicts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import { isNotFound } from '../../src/kube/status.ts';
import { createLogger } from '../../src/logger.ts';
import { loadSharedAuthority, type CaSecretOptions } from '../../src/tls/ca-secret.ts';
import { generateCertificateAuthority, type KeyPair } from '../../src/tls/certificates.ts';
import { useCluster } from '../support/cluster.ts';
import { ensureNamespace } from '../support/crds.ts';
import { captureLogs } from '../server/log-capture.ts';

const namespace = 'tls-ca-secret-test';
const dayMs = 24 * 60 * 60 * 1000;
let core: CoreV1Api;
let counter = 0;

function secretName(): string {
  counter++;
  return `shared-ca-${counter}`;
}

function options(name: string, overrides: Partial<CaSecretOptions> = {}): CaSecretOptions {
  return {
    core,
    name,
    namespace,
    validityMs: 30 * dayMs,
    renewalFraction: 0.67,
    requestTimeoutMs: 10_000,
    logger: createLogger('silent'),
    ...overrides,
  };
}

async function readSecret(name: string): Promise<V1Secret> {
  return core.readNamespacedSecret({ name, namespace });
}

function decode(secret: V1Secret, key: string): string | undefined {
  const value = secret.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

async function storeSecret(
  name: string,
  data: Record<string, string>,
  type = 'Opaque',
): Promise<void> {
  const encoded = Object.fromEntries(
    Object.entries(data).map(([key, text]) => [key, Buffer.from(text).toString('base64')]),
  );
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name, namespace }, type, data: encoded },
  });
}

// A generate function that makes every caller wait until `count` of them have
// called it, so that all of them read the Secret before any writes it.
function barrierGenerate(count: number) {
  let waiting = 0;
  let release = () => undefined as void;
  const all = new Promise<void>((resolve) => (release = resolve));
  return async (validityMs: number, now: Date): Promise<KeyPair> => {
    waiting++;
    if (waiting === count) release();
    await all;
    return generateCertificateAuthority({ commonName: `racer-${waiting}`, validityMs, now });
  };
}

before(async () => {
  const cluster = await useCluster();
  core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  await ensureNamespace(cluster, namespace);
});

after(async () => {
  for (let index = 1; index <= counter; index++) {
    await core
      .deleteNamespacedSecret({ name: `shared-ca-${index}`, namespace })
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
  }
});

describe('loadSharedAuthority', () => {
  it('creates the Secret when missing', async () => {
    const name = secretName();
    const authority = await loadSharedAuthority(options(name), new Date());
    const secret = await readSecret(name);
    assert.equal(secret.type, 'Opaque');
    assert.equal(decode(secret, 'ca.crt'), authority.current.cert);
    assert.equal(decode(secret, 'ca.key'), authority.current.key);
    assert.equal(decode(secret, 'ca-previous.crt'), undefined);
    assert.equal(
      secret.metadata?.labels?.['app.kubernetes.io/managed-by'],
      'inference-extension-crds',
    );
  });

  it('adopts the stored CA', async () => {
    const name = secretName();
    const first = await loadSharedAuthority(options(name), new Date());
    const second = await loadSharedAuthority(options(name), new Date());
    assert.equal(second.current.cert, first.current.cert);
  });

  it('gives three racing replicas one CA', async () => {
    const name = secretName();
    const logs = captureLogs();
    const generate = barrierGenerate(3);
    const racers = [0, 1, 2].map(() =>
      loadSharedAuthority(options(name, { generate, logger: logs.logger }), new Date()),
    );
    const authorities = await Promise.all(racers);
    const stored = decode(await readSecret(name), 'ca.crt');
    for (const authority of authorities) assert.equal(authority.current.cert, stored);
    const created = logs.lines.filter((line) => line.msg === 'ca secret created');
    const adopted = logs.lines.filter(
      (line) => line.msg === 'ca secret written by another replica, reading it again',
    );
    assert.equal(created.length, 1);
    assert.equal(adopted.length, 2);
  });

  it('rotates a CA past its renewal point', async () => {
    const name = secretName();
    const old = await generateCertificateAuthority({
      commonName: 'old',
      validityMs: 30 * dayMs,
      now: new Date(Date.now() - 25 * dayMs),
    });
    await storeSecret(name, { 'ca.crt': old.cert, 'ca.key': old.key });
    const authority = await loadSharedAuthority(options(name), new Date());
    const secret = await readSecret(name);
    assert.notEqual(authority.current.cert, old.cert);
    assert.equal(authority.previousCert, old.cert);
    assert.equal(decode(secret, 'ca.crt'), authority.current.cert);
    assert.equal(decode(secret, 'ca-previous.crt'), old.cert);
  });

  it('rotates an expired CA without keeping it', async () => {
    const name = secretName();
    const old = await generateCertificateAuthority({
      commonName: 'old',
      validityMs: dayMs,
      now: new Date(Date.now() - 2 * dayMs),
    });
    await storeSecret(name, { 'ca.crt': old.cert, 'ca.key': old.key });
    const authority = await loadSharedAuthority(options(name), new Date());
    assert.notEqual(authority.current.cert, old.cert);
    assert.equal(authority.previousCert, undefined);
    assert.equal(decode(await readSecret(name), 'ca-previous.crt'), undefined);
  });

  it('gives two racing rotations one result', async () => {
    const name = secretName();
    const old = await generateCertificateAuthority({
      commonName: 'old',
      validityMs: 30 * dayMs,
      now: new Date(Date.now() - 25 * dayMs),
    });
    await storeSecret(name, { 'ca.crt': old.cert, 'ca.key': old.key });
    const generate = barrierGenerate(2);
    const [first, second] = await Promise.all(
      [0, 1].map(() => loadSharedAuthority(options(name, { generate }), new Date())),
    );
    assert.equal(first?.current.cert, second?.current.cert);
    assert.equal(second?.previousCert, old.cert);
    assert.equal(decode(await readSecret(name), 'ca.crt'), first?.current.cert);
  });

  it('drops an expired previous CA', async () => {
    const name = secretName();
    const current = await generateCertificateAuthority({
      commonName: 'current',
      validityMs: 30 * dayMs,
    });
    const expired = await generateCertificateAuthority({
      commonName: 'gone',
      validityMs: dayMs,
      now: new Date(Date.now() - 2 * dayMs),
    });
    await storeSecret(name, {
      'ca.crt': current.cert,
      'ca.key': current.key,
      'ca-previous.crt': expired.cert,
    });
    const authority = await loadSharedAuthority(options(name), new Date());
    assert.equal(authority.current.cert, current.cert);
    assert.equal(authority.previousCert, undefined);
    assert.equal(decode(await readSecret(name), 'ca-previous.crt'), undefined);
  });

  it('keeps keys it does not own', async () => {
    const name = secretName();
    await storeSecret(name, { note: 'kept' });
    await loadSharedAuthority(options(name), new Date());
    assert.equal(decode(await readSecret(name), 'note'), 'kept');
  });

  it('reads and updates a kubernetes.io/tls Secret', async () => {
    const name = secretName();
    const old = await generateCertificateAuthority({
      commonName: 'old',
      validityMs: 30 * dayMs,
      now: new Date(Date.now() - 25 * dayMs),
    });
    await storeSecret(name, { 'tls.crt': old.cert, 'tls.key': old.key }, 'kubernetes.io/tls');
    const authority = await loadSharedAuthority(options(name), new Date());
    const secret = await readSecret(name);
    assert.equal(authority.previousCert, old.cert);
    assert.equal(decode(secret, 'tls.crt'), authority.current.cert);
    assert.equal(decode(secret, 'ca.crt'), authority.current.cert);
  });
});

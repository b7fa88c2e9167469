// The CA that every replica shares, kept in a Secret (--ca-secret in
// --namespace). The first replica creates it and the others adopt it. Writes
// carry the resourceVersion that was read, so when two replicas rotate at
// once, one write fails with a conflict and that replica reads the winner's CA.
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { withTimeout } from '../kube/client.ts';
import { isConflict, isNotFound } from '../kube/status.ts';
import { managedByLabel, managedByValue } from '../crds/metadata.ts';
import type { Logger } from '../logger.ts';
import { generateAuthority, type Authority, type AuthorityStore } from './authority.ts';
import type { KeyPair } from './certificates.ts';
import {
  decideAuthorityAction,
  type AuthorityAction,
  type StoredAuthority,
} from './ca-rotation.ts';

/** Keys of the CA Secret's data. */
export const caSecretKeys = {
  cert: 'ca.crt',
  key: 'ca.key',
  previousCert: 'ca-previous.crt',
} as const;

// A kubernetes.io/tls Secret must carry these two keys, so such a Secret
// stores the CA under them as well.
const tlsKeys = { cert: 'tls.crt', key: 'tls.key' } as const;

// Each conflict means another replica wrote the Secret in between, so a few
// attempts are enough for any number of replicas to agree.
const maxAttempts = 5;

export interface CaSecretOptions {
  readonly core: CoreV1Api;
  readonly name: string;
  readonly namespace: string;
  readonly validityMs: number;
  readonly renewalFraction: number;
  readonly requestTimeoutMs: number;
  readonly logger: Logger;
  /** Aborts API requests in flight, such as when the process shuts down. */
  readonly signal?: AbortSignal;
  /** Generates a new CA. Tests replace it to make replicas race. */
  readonly generate?: (validityMs: number, now: Date) => Promise<KeyPair>;
}

function decode(data: Record<string, string> | undefined, key: string): string | undefined {
  const value = data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

/** Reads the CA from a Secret's data: ca.crt and ca.key, else tls.crt and tls.key. */
export function storedAuthorityOf(secret: V1Secret | undefined): StoredAuthority {
  const data = secret?.data;
  const cert = decode(data, caSecretKeys.cert) ?? decode(data, tlsKeys.cert);
  const key = decode(data, caSecretKeys.key) ?? decode(data, tlsKeys.key);
  const current = cert === undefined || key === undefined ? undefined : { cert, key };
  return { current, previousCert: decode(data, caSecretKeys.previousCert) };
}

/** Returns the Secret's data for `authority`, keeping keys that the product does not own. */
export function caSecretData(
  secret: V1Secret | undefined,
  authority: Authority,
): Record<string, string> {
  const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  const data: Record<string, string> = { ...secret?.data };
  data[caSecretKeys.cert] = encode(authority.current.cert);
  data[caSecretKeys.key] = encode(authority.current.key);
  delete data[caSecretKeys.previousCert];
  if (authority.previousCert !== undefined) {
    data[caSecretKeys.previousCert] = encode(authority.previousCert);
  }
  if (secret?.type === 'kubernetes.io/tls') {
    data[tlsKeys.cert] = data[caSecretKeys.cert] as string;
    data[tlsKeys.key] = data[caSecretKeys.key] as string;
  }
  return data;
}

async function readSecret(options: CaSecretOptions): Promise<V1Secret | undefined> {
  const { core, name, namespace } = options;
  try {
    return await core.readNamespacedSecret(
      { name, namespace },
      withTimeout(options.requestTimeoutMs, options.signal),
    );
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function writeSecret(
  options: CaSecretOptions,
  secret: V1Secret | undefined,
  authority: Authority,
): Promise<void> {
  const { core, name, namespace } = options;
  const data = caSecretData(secret, authority);
  const timeout = withTimeout(options.requestTimeoutMs, options.signal);
  if (secret === undefined) {
    const metadata = { name, namespace, labels: { [managedByLabel]: managedByValue } };
    const body: V1Secret = { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', data };
    await core.createNamespacedSecret({ namespace, body }, timeout);
    return;
  }
  // The replace carries the resourceVersion read, so a concurrent write makes it fail with 409.
  await core.replaceNamespacedSecret({ name, namespace, body: { ...secret, data } }, timeout);
}

async function carryOut(
  options: CaSecretOptions,
  secret: V1Secret | undefined,
  action: Exclude<AuthorityAction, { kind: 'keep' }>,
  now: Date,
): Promise<Authority> {
  const fields = { secret: options.name, namespace: options.namespace, reason: action.reason };
  if (action.kind === 'drop-previous') {
    const authority = { current: storedAuthorityOf(secret).current as KeyPair };
    await writeSecret(options, secret, authority);
    options.logger.info(fields, 'previous ca removed from secret');
    return authority;
  }
  const generate = options.generate ?? generateAuthority;
  const current = await generate(options.validityMs, now);
  const authority = { current, previousCert: action.previousCert };
  await writeSecret(options, secret, authority);
  const message = secret === undefined ? 'ca secret created' : 'ca rotated';
  options.logger.info({ ...fields, previousKept: action.previousCert !== undefined }, message);
  return authority;
}

/**
 * Reads the shared CA from the Secret, creating the Secret when it is missing
 * and rotating the CA when decideAuthorityAction() returns that action. A conflict means
 * another replica wrote first: the Secret is read again and its CA adopted.
 * Throws the API error of any other failure.
 */
export async function loadSharedAuthority(options: CaSecretOptions, now: Date): Promise<Authority> {
  for (let attempt = 1; ; attempt++) {
    const secret = await readSecret(options);
    const stored = storedAuthorityOf(secret);
    const action = decideAuthorityAction(stored, now, options.renewalFraction);
    if (action.kind === 'keep') {
      return { current: stored.current as KeyPair, previousCert: stored.previousCert };
    }
    try {
      return await carryOut(options, secret, action, now);
    } catch (err) {
      if (!isConflict(err) || attempt >= maxAttempts) throw err;
      const fields = { secret: options.name, namespace: options.namespace, attempt };
      options.logger.info(fields, 'ca secret written by another replica, reading it again');
    }
  }
}

/** Creates the store for --ca-secret. */
export function createSecretAuthorityStore(options: CaSecretOptions): AuthorityStore {
  return {
    description: `Secret ${options.namespace}/${options.name}`,
    load: (now) => loadSharedAuthority(options, now),
  };
}

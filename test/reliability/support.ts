// Shared parts of the reliability tests: the webhook app with the real guard
// over HTTPS on 127.0.0.1, a tolerant HTTPS client, the fuzz seed, a forced
// garbage collection, and the list of InferencePools a scenario must keep.
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { KubeConfig } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import { createGuard, createObjectCounter } from '../../src/admission/handler.ts';
import { loadBuiltInBundle } from '../../src/crds/bundle.ts';
import { createClients } from '../../src/kube/client.ts';
import { isNotFound, isTransient } from '../../src/kube/status.ts';
import { createLogger } from '../../src/logger.ts';
import { buildApp } from '../../src/server/app.ts';
import { createReadinessState } from '../../src/server/readiness.ts';
import { loadOrGenerateCertificates } from '../../src/tls/generated.ts';

export interface GuardServer {
  readonly port: number;
  /** PEM CA that signed the server's certificate. */
  readonly ca: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * Starts buildApp() with the production guard, counting objects through
 * `kubeConfig`, on an OS-chosen port of 127.0.0.1 with generated certificates.
 */
export async function startGuardServer(
  kubeConfig: KubeConfig,
  lookupTimeoutMs = 10_000,
): Promise<GuardServer> {
  const logger = createLogger('silent');
  const certDir = await mkdtemp(join(tmpdir(), 'inference-crds-reliability-'));
  const hosts = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] };
  const tls = await loadOrGenerateCertificates({ certDir, ...hosts }, logger);
  const lookup = createObjectCounter(createClients(kubeConfig));
  const guard = createGuard({ bundle: await loadBuiltInBundle(), lookup, lookupTimeoutMs, logger });
  const app = buildApp({ guard, readiness: createReadinessState(logger), logger, tls });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    ca: tls.caCert as string,
    app,
    close: async () => {
      await app.close();
      await rm(certDir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  readonly statusCode: number;
  readonly contentType: string;
  readonly text: string;
}

export interface PostOptions {
  readonly body: Buffer;
  /** Content-Type header; undefined sends none. */
  readonly contentType?: string;
  /** Keep-alive agent to reuse; a fresh connection is opened without one. */
  readonly agent?: Agent;
}

/**
 * POSTs a body to /validate and resolves with the reply. A write error after
 * the reply has started, such as the server closing a connection whose
 * oversized body it refused, is ignored. Rejects when no reply arrives.
 */
export function postBody(server: GuardServer, options: PostOptions): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.contentType !== undefined) headers['content-type'] = options.contentType;
  const target = { host: '127.0.0.1', port: server.port, path: '/validate', method: 'POST' };
  return new Promise((resolve, reject) => {
    const agent = options.agent ?? false;
    let responded = false;
    const req = request({ ...target, headers, ca: server.ca, agent, timeout: 30_000 }, (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          statusCode: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', (err) => {
      if (!responded) reject(err);
    });
    req.on('timeout', () => req.destroy(new Error('no reply within 30 s')));
    req.end(options.body);
  });
}

/**
 * Returns the seed for fast-check: RELIABILITY_SEED when set, so that a
 * failing run can be repeated, else a fresh one.
 */
export function fuzzSeed(): number {
  const fromEnv = process.env.RELIABILITY_SEED;
  if (fromEnv === undefined || fromEnv === '') return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(fromEnv);
  if (!Number.isInteger(seed))
    throw new Error(`RELIABILITY_SEED must be an integer, got ${fromEnv}`);
  return seed;
}

/**
 * Returns a function that runs a full garbage collection. node --test starts
 * each file without --expose-gc, so the flag is switched on here instead.
 */
export function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const poolTypes = [
  { group: 'inference.networking.k8s.io', version: 'v1', plural: 'inferencepools' },
  { group: 'inference.networking.x-k8s.io', version: 'v1alpha2', plural: 'inferencepools' },
];

const listDeadlineMs = 60_000;

/**
 * Lists the objects of one type in all namespaces. Retries while the API
 * server responds with 429 or 5xx, as it does for a moment after a CRD is created
 * ("storage is (re)initializing"). A type whose CRD is absent has none.
 */
async function listAll(
  kubeConfig: KubeConfig,
  type: (typeof poolTypes)[number],
): Promise<PoolList> {
  const { customObjects } = createClients(kubeConfig);
  const deadline = Date.now() + listDeadlineMs;
  for (;;) {
    try {
      return (await customObjects.listClusterCustomObject(type)) as PoolList;
    } catch (err) {
      if (isNotFound(err)) return { items: [] };
      if (!isTransient(err) || Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

interface PoolList {
  readonly items: readonly { readonly metadata: { namespace: string; name: string } }[];
}

/**
 * Lists the InferencePools of both API groups in all namespaces, as sorted
 * "group namespace/name" strings.
 */
export async function listPools(kubeConfig: KubeConfig): Promise<string[]> {
  const names: string[] = [];
  for (const type of poolTypes) {
    const list = await listAll(kubeConfig, type);
    for (const { metadata } of list.items) {
      names.push(`${type.group} ${metadata.namespace}/${metadata.name}`);
    }
  }
  return names.sort();
}

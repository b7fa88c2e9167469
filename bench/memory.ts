// Resident memory of a serve process at idle and after a fixed number of
// requests, read from /proc/PID/status, with readings at checkpoints on the
// way to show whether it levels off. Two runs, each with a fresh process: all
// three request shapes in turn, so a third of the requests make API lookups,
// and the two shapes that make none.
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchCluster } from './cluster.ts';
import { runLoad } from './load.ts';
import { verdictProblem, type Shape } from './reviews.ts';
import { heapUsedMiB, residentMemoryMiB, startServe, type ServeProcess } from './serve-process.ts';
import { round } from './stats.ts';

export interface MemoryRun {
  readonly shapes: readonly string[];
  readonly requests: number;
  readonly connections: number;
  readonly idleRssMiB: number;
  /** V8 heap in use at idle, from GET /metrics; null when serve has no such metric. */
  readonly idleHeapUsedMiB: number | null;
  /** Readings after each quarter of the requests, taken as soon as its last response arrived. */
  readonly checkpoints: readonly Checkpoint[];
  readonly afterRssMiB: number;
  /** Read after a further idle pause, once the garbage collector had a chance to run. */
  readonly settledRssMiB: number;
  readonly growthMiB: number;
  /** Responses that were not the expected verdict, plus connection errors. */
  readonly failures: number;
}

export interface Checkpoint {
  readonly requests: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number | null;
}

export interface MemoryResult {
  readonly mixed: MemoryRun;
  readonly withoutLookups: MemoryRun;
}

const webhookConfigName = 'bench-memory';
const connections = 16;
const checkpointCount = 4;
/** Pause before the idle reading and before the settled one. */
export const idlePauseMs = 5000;

async function readHeap(serve: ServeProcess): Promise<number | null> {
  const heap = await heapUsedMiB(serve);
  return heap === undefined ? null : round(heap, 1);
}

async function sendInChunks(serve: ServeProcess, shapes: readonly Shape[], requests: number) {
  const bodies = shapes.map((shape) => shape.body);
  const checkpoints: Checkpoint[] = [];
  let failures = 0;
  let sent = 0;
  const onResponse = (status: number, body: string) => {
    if (verdictProblem(shapes, status, body) !== undefined) failures += 1;
  };
  for (let chunk = 1; chunk <= checkpointCount; chunk++) {
    const amount = Math.round((requests * chunk) / checkpointCount) - sent;
    const result = await runLoad({ port: serve.port, bodies, connections, amount, onResponse });
    sent += result.requests;
    failures += result.errors;
    const rssMiB = round(await residentMemoryMiB(serve.pid), 1);
    checkpoints.push({ requests: sent, rssMiB, heapUsedMiB: await readHeap(serve) });
  }
  return { checkpoints, failures, sent };
}

async function measureRun(
  cluster: BenchCluster,
  shapes: readonly Shape[],
  requests: number,
  workDir: string,
): Promise<MemoryRun> {
  const certDir = await mkdtemp(join(workDir, 'memory-certs-'));
  const kubeconfigPath = cluster.controlPlane.kubeconfigPath;
  const serve = await startServe({ kubeconfigPath, certDir, webhookConfigName });
  try {
    await sleep(idlePauseMs);
    const idle = await residentMemoryMiB(serve.pid);
    const idleHeapUsedMiB = await readHeap(serve);
    const { checkpoints, failures, sent } = await sendInChunks(serve, shapes, requests);
    const after = checkpoints.at(-1)?.rssMiB ?? Number.NaN;
    await sleep(idlePauseMs);
    const settled = await residentMemoryMiB(serve.pid);
    return {
      shapes: shapes.map((shape) => shape.name),
      requests: sent,
      connections,
      idleRssMiB: round(idle, 1),
      idleHeapUsedMiB,
      checkpoints,
      afterRssMiB: after,
      settledRssMiB: round(settled, 1),
      growthMiB: round(after - idle, 1),
      failures,
    };
  } finally {
    await serve.stop();
    const name = webhookConfigName;
    await cluster.clients.admission.deleteValidatingWebhookConfiguration({ name });
  }
}

/** Runs both memory runs; InferencePools must exist so that the protected shape is denied. */
export async function measureMemory(
  cluster: BenchCluster,
  shapes: readonly Shape[],
  requests: number,
  workDir: string,
): Promise<MemoryResult> {
  const mixed = await measureRun(cluster, shapes, requests, workDir);
  const noLookups = shapes.filter((shape) => shape.allowed);
  const withoutLookups = await measureRun(cluster, noLookups, requests, workDir);
  return { mixed, withoutLookups };
}

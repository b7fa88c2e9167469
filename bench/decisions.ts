// Latency of one deletion decision while the API server stores 1, 1,000 or
// 10,000 InferencePools. The guard runs in this process with the production
// ObjectCounter, so each decision makes the same list calls as serve does.
// Decisions run one after another, so the figures are latencies without queueing.
import { setTimeout as sleep } from 'node:timers/promises';
import { createGuard, createObjectCounter } from '../src/admission/handler.ts';
import { loadBuiltInBundle } from '../src/crds/bundle.ts';
import { createLogger } from '../src/logger.ts';
import { ensureNamespace, type BenchCluster } from './cluster.ts';
import { createPools } from './pools.ts';
import type { Shape } from './reviews.ts';
import { round, summarize } from './stats.ts';

export interface DecisionRow {
  readonly pools: number;
  readonly decisions: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  /** Seconds it took to create the pools added for this row. */
  readonly fillSeconds: number;
}

export interface DecisionResult {
  readonly rows: readonly DecisionRow[];
  /** p50 at the largest pool count divided by p50 at the smallest. */
  readonly p50Ratio: number;
  readonly p99Ratio: number;
}

export interface DecisionSettings {
  readonly poolCounts: readonly number[];
  readonly decisions: number;
  readonly createConcurrency: number;
  /** Namespace of the pools, which must already contain `existing` of them. */
  readonly namespace: string;
  readonly existing: number;
}

// The serve command's default --lookup-timeout.
const lookupTimeoutMs = 3000;
const warmupDecisions = 10;
// Pause after creating pools, so that the timed decisions do not compete with
// the API server and etcd still catching up on thousands of writes.
const settleMs = 5000;

type Guard = ReturnType<typeof createGuard>;

interface ReviewBody {
  readonly response?: {
    readonly allowed?: boolean;
    readonly status?: { readonly code?: number; readonly message?: string };
  };
}

/** Runs one decision and checks that it denies with the exact pool count. */
async function decideOnce(guard: Guard, review: unknown, pools: number): Promise<number> {
  const started = performance.now();
  const result = await guard(review);
  const elapsed = performance.now() - started;
  const response = (result.body as ReviewBody).response;
  const counted = `InferencePool inference.networking.k8s.io/v1: ${pools} `;
  const message = response?.status?.message ?? '';
  if (response?.allowed !== false || response.status?.code !== 403 || !message.includes(counted)) {
    throw new Error(
      `expected a denial counting ${pools} pools, got ${JSON.stringify(result.body)}`,
    );
  }
  return elapsed;
}

async function timeDecisions(guard: Guard, review: unknown, pools: number, count: number) {
  for (let run = 0; run < warmupDecisions; run++) await decideOnce(guard, review, pools);
  const samples: number[] = [];
  for (let run = 0; run < count; run++) samples.push(await decideOnce(guard, review, pools));
  return summarize(samples);
}

/** Creates the pools numbered range.from to range.to and returns the seconds it took. */
async function fillPools(
  cluster: BenchCluster,
  settings: DecisionSettings,
  range: { readonly from: number; readonly to: number },
  log: (line: string) => void,
): Promise<number> {
  if (range.to <= range.from) return 0;
  const started = performance.now();
  log(`  creating pools ${range.from} to ${range.to}`);
  const progress = (created: number) => log(`    ${range.from + created} of ${range.to} pools`);
  const { clients } = cluster;
  await createPools(clients, settings.namespace, range, settings.createConcurrency, progress);
  return round((performance.now() - started) / 1000, 1);
}

/** Grows the pools to each count in turn and times `decisions` decisions at each. */
export async function measureDecisions(
  cluster: BenchCluster,
  protectedShape: Shape,
  settings: DecisionSettings,
  log: (line: string) => void,
): Promise<DecisionResult> {
  const logger = createLogger('silent');
  const lookup = createObjectCounter(cluster.clients);
  const guard = createGuard({ bundle: await loadBuiltInBundle(), lookup, lookupTimeoutMs, logger });
  const review: unknown = JSON.parse(protectedShape.body);
  await ensureNamespace(cluster.clients, settings.namespace);

  const rows: DecisionRow[] = [];
  let existing = settings.existing;
  for (const pools of settings.poolCounts) {
    const fillSeconds = await fillPools(cluster, settings, { from: existing, to: pools }, log);
    existing = Math.max(existing, pools);
    await sleep(settleMs);
    const latency = await timeDecisions(guard, review, pools, settings.decisions);
    const row = {
      pools,
      decisions: latency.count,
      p50Ms: round(latency.p50, 3),
      p99Ms: round(latency.p99, 3),
      meanMs: round(latency.mean, 3),
      fillSeconds,
    };
    log(`  ${pools} pools: p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms`);
    rows.push(row);
  }
  const first = rows[0] as DecisionRow;
  const last = rows.at(-1) as DecisionRow;
  return {
    rows,
    p50Ratio: round(last.p50Ms / first.p50Ms, 2),
    p99Ratio: round(last.p99Ms / first.p99Ms, 2),
  };
}

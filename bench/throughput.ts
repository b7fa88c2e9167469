// Admission throughput and latency over HTTPS, for each request shape and
// connection count, of the product's app and of a bare Fastify endpoint that
// returns the same AdmissionReview without deciding anything. The ratio of
// the two throughputs is the cost of the guard, its validation and its logs.
import { request } from 'node:https';
import type { BenchCluster } from './cluster.ts';
import { runLoad, type LoadResult } from './load.ts';
import { verdictProblem, type Shape } from './reviews.ts';
import { round } from './stats.ts';
import { startTarget, type Target } from './targets.ts';

export interface ThroughputRow {
  readonly shape: string;
  readonly connections: number;
  readonly guard: LoadResult;
  readonly baseline: LoadResult;
  /** Guard requests per second divided by baseline requests per second. */
  readonly ratio: number;
  /** Guard responses that were not the expected verdict. */
  readonly wrongVerdicts: number;
}

export interface ThroughputSettings {
  readonly connections: readonly number[];
  readonly durationS: number;
  readonly warmupS: number;
  readonly certDir: string;
}

/** Sends one review and returns the status and body of the response. */
function postOnce(port: number, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const options = {
      host: '127.0.0.1',
      port,
      path: '/validate',
      method: 'POST',
      rejectUnauthorized: false,
    };
    const req = request({ ...options, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Returns the guard's response to `shape`, after checking that it is the expected verdict. */
async function expectedResponse(target: Target, shape: Shape): Promise<unknown> {
  const { status, text } = await postOnce(target.port, shape.body);
  const problem = verdictProblem([shape], status, text);
  if (problem !== undefined)
    throw new Error(`unexpected guard response to ${shape.name}: ${problem}`);
  return JSON.parse(text);
}

async function measure(
  target: Target,
  shape: Shape,
  connections: number,
  settings: ThroughputSettings,
): Promise<{ result: LoadResult; wrong: number }> {
  const bodies = [shape.body];
  if (settings.warmupS > 0) {
    await runLoad({ port: target.port, bodies, connections, durationS: settings.warmupS });
  }
  let wrong = 0;
  const onResponse = (status: number, text: string) => {
    if (verdictProblem([shape], status, text) !== undefined) wrong += 1;
  };
  const result = await runLoad({
    port: target.port,
    bodies,
    connections,
    durationS: settings.durationS,
    onResponse,
  });
  return { result, wrong };
}

async function measureShape(
  cluster: BenchCluster,
  shape: Shape,
  settings: ThroughputSettings,
  log: (line: string) => void,
): Promise<ThroughputRow[]> {
  const kubeconfigPath = cluster.controlPlane.kubeconfigPath;
  const guard = await startTarget({ kind: 'guard', certDir: settings.certDir, kubeconfigPath });
  const response = await expectedResponse(guard, shape).catch(async (err: unknown) => {
    await guard.stop();
    throw err;
  });
  const baseline = await startTarget({ kind: 'baseline', certDir: settings.certDir, response });
  const rows: ThroughputRow[] = [];
  try {
    for (const connections of settings.connections) {
      const ours = await measure(guard, shape, connections, settings);
      const bare = await measure(baseline, shape, connections, settings);
      const ratio = round(ours.result.requestsPerSecond / bare.result.requestsPerSecond, 3);
      rows.push({
        shape: shape.name,
        connections,
        guard: ours.result,
        baseline: bare.result,
        ratio,
        wrongVerdicts: ours.wrong,
      });
      log(
        `  ${shape.name} c=${connections}: ${ours.result.requestsPerSecond} req/s, ratio ${ratio}`,
      );
    }
  } finally {
    await Promise.all([guard.stop(), baseline.stop()]);
  }
  return rows;
}

/** Measures every shape at every connection count; InferencePools must exist for the deny shape. */
export async function measureThroughput(
  cluster: BenchCluster,
  shapes: readonly Shape[],
  settings: ThroughputSettings,
  log: (line: string) => void,
): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  for (const shape of shapes) rows.push(...(await measureShape(cluster, shape, settings, log)));
  return rows;
}

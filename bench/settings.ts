// Settings of a benchmark run, read from BENCH_* environment variables.
// BENCH_QUICK=1 switches every default to a short smoke run; a variable that
// is set still wins over the quick default.

export interface BenchSettings {
  /** Seconds of load for each shape, server and connection count. */
  readonly durationS: number;
  /** Seconds of load before each measurement, whose results are discarded. */
  readonly warmupS: number;
  readonly connections: readonly number[];
  /** InferencePool counts at which the decision latency is measured, ascending. */
  readonly poolCounts: readonly number[];
  /** Sequential decisions timed at each pool count. */
  readonly decisions: number;
  /** InferencePool creates in flight at once while filling the API server. */
  readonly createConcurrency: number;
  /** Requests sent to the serve process between the two memory readings. */
  readonly memoryRequests: number;
  readonly certRuns: number;
  /** Warm starts of the serve process, after the one cold start. */
  readonly startupRuns: number;
  readonly outputPath: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const defaults = {
  durationS: 5,
  warmupS: 1,
  connections: [1, 16, 64],
  poolCounts: [1, 1000, 10_000],
  decisions: 300,
  createConcurrency: 32,
  memoryRequests: 100_000,
  certRuns: 20,
  startupRuns: 5,
};

const quickDefaults: typeof defaults = {
  durationS: 1,
  warmupS: 0,
  connections: [1, 16],
  poolCounts: [1, 200],
  decisions: 50,
  createConcurrency: 32,
  memoryRequests: 5000,
  certRuns: 3,
  startupRuns: 1,
};

function invalid(name: string, value: string, expected: string): Error {
  return new Error(`invalid ${name}=${JSON.stringify(value)}: expected ${expected}`);
}

function readInteger(env: Env, name: string, fallback: number, min: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw invalid(name, text, `an integer of at least ${min}`);
  }
  return value;
}

function readList(env: Env, name: string, fallback: readonly number[]): readonly number[] {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const values = text.split(',').map((part) => Number(part.trim()));
  const ascending = values.every((value, index) => index === 0 || value > (values[index - 1] ?? 0));
  if (!values.every((value) => Number.isInteger(value) && value > 0) || !ascending) {
    throw invalid(name, text, 'comma-separated positive integers in ascending order');
  }
  return values;
}

/** Reads the settings; throws an error naming the variable when a value is invalid. */
export function readSettings(env: Env): BenchSettings {
  const base = env.BENCH_QUICK === '1' ? quickDefaults : defaults;
  return {
    durationS: readInteger(env, 'BENCH_DURATION_S', base.durationS, 1),
    warmupS: readInteger(env, 'BENCH_WARMUP_S', base.warmupS, 0),
    connections: readList(env, 'BENCH_CONNECTIONS', base.connections),
    poolCounts: readList(env, 'BENCH_POOL_COUNTS', base.poolCounts),
    decisions: readInteger(env, 'BENCH_DECISIONS', base.decisions, 10),
    createConcurrency: readInteger(env, 'BENCH_CREATE_CONCURRENCY', base.createConcurrency, 1),
    memoryRequests: readInteger(env, 'BENCH_MEMORY_REQUESTS', base.memoryRequests, 100),
    certRuns: readInteger(env, 'BENCH_CERT_RUNS', base.certRuns, 1),
    startupRuns: readInteger(env, 'BENCH_STARTUP_RUNS', base.startupRuns, 1),
    outputPath: env.BENCH_OUTPUT ?? 'bench/results/latest.json',
  };
}

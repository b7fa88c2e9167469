// Load generation with autocannon, over HTTPS to 127.0.0.1. Latencies are
// taken from autocannon's per-response events at sub-millisecond precision,
// because its own histogram rounds them to whole milliseconds.
import autocannon from 'autocannon';
import { round, summarize } from './stats.ts';

export interface LoadOptions {
  readonly port: number;
  /** AdmissionReviews to POST to /validate; each connection cycles through them. */
  readonly bodies: readonly string[];
  readonly connections: number;
  /** Seconds of load; ignored when `amount` is set. */
  readonly durationS?: number;
  /** Total requests to send instead of running for a duration. */
  readonly amount?: number;
  /** Called with the status and body of every response. */
  readonly onResponse?: (status: number, body: string) => void;
}

export interface LoadResult {
  readonly requests: number;
  readonly durationS: number;
  readonly requestsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  /** Connection errors and timeouts, as autocannon counts them. */
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
}

// Seconds autocannon waits for one response before it counts a timeout.
const responseTimeoutS = 30;

function requestsOf(options: LoadOptions): autocannon.Request[] {
  const headers = { 'content-type': 'application/json' };
  const onResponse = options.onResponse;
  return options.bodies.map((body) => ({
    method: 'POST',
    path: '/validate',
    headers,
    body,
    ...(onResponse === undefined
      ? {}
      : { onResponse: (status: number, text: string) => onResponse(status, text) }),
  }));
}

/** Runs one load and resolves with its throughput, latency and failure counts. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const settings: autocannon.Options = {
    url: `https://127.0.0.1:${options.port}`,
    connections: options.connections,
    requests: requestsOf(options),
    timeout: responseTimeoutS,
    ...(options.amount === undefined
      ? { duration: options.durationS ?? 5 }
      : { amount: options.amount }),
  };
  return new Promise((resolve, reject) => {
    const instance = autocannon(settings, (err, result) => {
      if (err !== null && err !== undefined) return reject(err as Error);
      const latency = summarize(latencies);
      const completed = result.requests.total;
      resolve({
        requests: completed,
        durationS: result.duration,
        requestsPerSecond: round(completed / result.duration, 1),
        latencyP50Ms: round(latency.p50, 3),
        latencyP99Ms: round(latency.p99, 3),
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
      });
    });
    // autocannon 9 emits (client, statusCode, resBytes, responseTime), one
    // argument more than @types/autocannon 7 declares.
    const recordLatency = (...args: unknown[]) => latencies.push(args[3] as number);
    instance.on('response', recordLatency as () => void);
  });
}

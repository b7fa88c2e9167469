// The results of a run: printed as tables and written as JSON.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CertificateResult } from './certificates.ts';
import type { Versions } from './cluster.ts';
import type { DecisionResult } from './decisions.ts';
import type { Machine } from './machine.ts';
import { idlePauseMs, type MemoryResult, type MemoryRun } from './memory.ts';
import type { BenchSettings } from './settings.ts';
import type { StartupResult } from './startup.ts';
import type { ThroughputRow } from './throughput.ts';

export interface BenchResults {
  readonly finishedAt: string;
  readonly machine: Machine;
  /**
   * One-minute load average before the run and at its end. The run keeps
   * both CPUs busy, so the end value is high. A start value well above 0
   * means other work was running, or had run within the last few minutes.
   */
  readonly loadAverage: { readonly atStart: number; readonly atEnd: number };
  readonly versions: Versions;
  readonly settings: BenchSettings;
  /** Guard/baseline throughput ratio per shape at the highest connection count. */
  readonly headline: readonly { shape: string; connections: number; ratio: number }[];
  readonly throughput: readonly ThroughputRow[];
  readonly decisions: DecisionResult;
  readonly startup: StartupResult;
  readonly certificates: CertificateResult;
  readonly memory: MemoryResult;
}

/** Formats rows as a table with a header line; every column is as wide as its widest cell. */
export function table(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, column) =>
    Math.max(...cells.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row.map((cell, column) => cell.padStart(widths[column] ?? 0)).join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(cells[0] ?? []), rule, ...cells.slice(1).map(line)].join('\n');
}

function throughputTable(rows: readonly ThroughputRow[]): string {
  const header = [
    'shape',
    'conns',
    'guard req/s',
    'p50 ms',
    'p99 ms',
    'bare req/s',
    'p50 ms',
    'p99 ms',
    'ratio',
    'failed',
  ];
  return table(
    header,
    rows.map((row) => [
      row.shape,
      row.connections,
      row.guard.requestsPerSecond,
      row.guard.latencyP50Ms,
      row.guard.latencyP99Ms,
      row.baseline.requestsPerSecond,
      row.baseline.latencyP50Ms,
      row.baseline.latencyP99Ms,
      row.ratio,
      row.guard.errors + row.guard.non2xx + row.wrongVerdicts,
    ]),
  );
}

function decisionTable(result: DecisionResult): string {
  const rows = result.rows.map((row) => [
    row.pools,
    row.decisions,
    row.p50Ms,
    row.p99Ms,
    row.meanMs,
  ]);
  const body = table(['pools', 'decisions', 'p50 ms', 'p99 ms', 'mean ms'], rows);
  return `${body}\nlargest/smallest: p50 x${result.p50Ratio}, p99 x${result.p99Ratio}`;
}

function memoryRows(label: string, run: MemoryRun): (string | number)[][] {
  const heap = (value: number | null) => (value === null ? '-' : value);
  return [
    [
      `${label}, RSS`,
      run.idleRssMiB,
      ...run.checkpoints.map((point) => point.rssMiB),
      run.settledRssMiB,
      run.growthMiB,
      run.failures,
    ],
    [
      `${label}, heap used`,
      heap(run.idleHeapUsedMiB),
      ...run.checkpoints.map((point) => heap(point.heapUsedMiB)),
      '',
      '',
      '',
    ],
  ];
}

function memoryTable(memory: MemoryResult): string {
  const checkpoints = memory.mixed.checkpoints.map((point) => `@${point.requests}`);
  const header = [
    'MiB',
    'idle',
    ...checkpoints,
    `${idlePauseMs / 1000} s later`,
    'growth',
    'failed',
  ];
  const rows = [
    ...memoryRows('all three shapes', memory.mixed),
    ...memoryRows('no lookups', memory.withoutLookups),
  ];
  return table(header, rows);
}

/** Returns the whole report as text for the terminal. */
export function formatReport(results: BenchResults): string {
  const { machine, versions, startup, certificates, memory } = results;
  const headline = results.headline.map(
    (item) => `  ${item.shape}: ${item.ratio} (c=${item.connections})`,
  );
  return [
    `machine: ${machine.cpus} CPUs, ${machine.cpuModel}, ${machine.memoryGiB} GiB`,
    `load average: ${results.loadAverage.atStart} at start, ${results.loadAverage.atEnd} at end`,
    `versions: node ${versions.node}, kubernetes ${versions.kubernetes}, etcd ${versions.etcd}`,
    '',
    'HEADLINE: guard throughput / bare Fastify throughput',
    ...headline,
    '',
    'Admission over HTTPS (guard = our app, bare = Fastify returning the same review)',
    throughputTable(results.throughput),
    '',
    'Decision latency by InferencePool count (in-process guard, real API server)',
    decisionTable(results.decisions),
    '',
    table(
      ['measure', 'value'],
      [
        ['cold start to ready, ms', startup.coldMs],
        ['warm start to ready, mean ms', startup.warmMeanMs],
        ['CA + serving certificate, mean ms', certificates.totalMeanMs],
      ],
    ),
    '',
    `Resident memory of serve (MiB), ${memory.mixed.connections} connections`,
    memoryTable(memory),
  ].join('\n');
}

export async function writeResults(path: string, results: BenchResults): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`);
}

// `npm run bench`: starts a local control plane, runs every measurement
// against it, prints the figures, and writes them as JSON (BENCH_OUTPUT,
// default bench/results/latest.json). docs/performance.md explains them.
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/logger.ts';
import { loadOrGenerateCertificates } from '../src/tls/generated.ts';
import { measureCertificates } from './certificates.ts';
import {
  ensureNamespace,
  installBuiltInBundle,
  readVersions,
  startBenchCluster,
  type BenchCluster,
} from './cluster.ts';
import { measureDecisions } from './decisions.ts';
import { describeMachine } from './machine.ts';
import { measureMemory } from './memory.ts';
import { createPools } from './pools.ts';
import { formatReport, writeResults, type BenchResults } from './report.ts';
import { loadShapes, type Shape } from './reviews.ts';
import { readSettings, type BenchSettings } from './settings.ts';
import { measureStartup } from './startup.ts';
import { round } from './stats.ts';
import { measureThroughput, type ThroughputRow } from './throughput.ts';

const poolNamespace = 'bench-pools';

function log(line: string): void {
  console.log(line);
}

function headlineOf(rows: readonly ThroughputRow[], settings: BenchSettings) {
  const top = settings.connections.at(-1);
  return rows
    .filter((row) => row.connections === top)
    .map((row) => ({ shape: row.shape, connections: row.connections, ratio: row.ratio }));
}

async function measureAll(
  cluster: BenchCluster,
  settings: BenchSettings,
  workDir: string,
): Promise<Omit<BenchResults, 'loadAverage'>> {
  const shapes: readonly Shape[] = loadShapes();
  log('certificates');
  const certificates = await measureCertificates(settings.certRuns);
  log('startup (the cold start installs the bundle)');
  const startup = await measureStartup(cluster, settings.startupRuns, workDir);
  await installBuiltInBundle(cluster.clients);
  await ensureNamespace(cluster.clients, poolNamespace);
  await createPools(cluster.clients, poolNamespace, { from: 0, to: 1 }, 1, () => undefined);
  log(`memory (${settings.memoryRequests} requests)`);
  const memory = await measureMemory(cluster, shapes, settings.memoryRequests, workDir);

  log('throughput');
  const certDir = join(workDir, 'target-certs');
  await loadOrGenerateCertificates(
    { certDir, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] },
    createLogger('silent'),
  );
  const throughput = await measureThroughput(cluster, shapes, { ...settings, certDir }, log);

  log('decision latency');
  const protectedShape = shapes.find((shape) => !shape.allowed) as Shape;
  const decisionSettings = { ...settings, namespace: poolNamespace, existing: 1 };
  const decisions = await measureDecisions(cluster, protectedShape, decisionSettings, log);
  return {
    finishedAt: new Date().toISOString(),
    machine: describeMachine(),
    versions: await readVersions(cluster),
    settings,
    headline: headlineOf(throughput, settings),
    throughput,
    decisions,
    startup,
    certificates,
    memory,
  };
}

async function report(results: BenchResults, outputPath: string): Promise<void> {
  log('');
  log(formatReport(results));
  await writeResults(outputPath, results);
  log(`\nresults written to ${outputPath}`);
}

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  const loadAtStart = round(loadavg()[0] ?? 0);
  log('starting the control plane');
  const cluster = await startBenchCluster();
  const workDir = await mkdtemp(join(tmpdir(), 'inference-crds-bench-'));
  const cleanUp = () =>
    Promise.allSettled([
      cluster.controlPlane.stop(),
      rm(workDir, { recursive: true, force: true }),
    ]);
  // Ctrl-C cleans up too; the exit handlers of serve-process.ts stop its children.
  const interrupt = () => void cleanUp().finally(() => process.exit(130));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const measured = await measureAll(cluster, settings, workDir);
    const loadAverage = { atStart: loadAtStart, atEnd: round(loadavg()[0] ?? 0) };
    await report({ ...measured, loadAverage }, settings.outputPath);
  } finally {
    await cleanUp();
  }
}

await main();

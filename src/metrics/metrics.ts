import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One admission decision, as the guard reports it. */
export interface DecisionRecord {
  readonly verdict: 'allowed' | 'denied' | 'error' | 'invalid';
  readonly reason: string;
  readonly crd?: string;
  readonly durationMs: number;
}

/** The product's Prometheus metrics on a registry of their own. */
export interface Metrics {
  readonly registry: Registry;
  recordDecision(record: DecisionRecord): void;
  recordInstallOutcome(crd: string, action: string): void;
  setCertificateExpiry(certificate: 'serving' | 'ca', notAfter: Date): void;
}

const prefix = 'inference_crds_';

// Decisions are I/O bound: an unrelated CRD is allowed in microseconds, a
// protected one waits for one or two API list calls bounded by the lookup
// timeout (3 s by default).
const decisionBuckets = [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Creates the metrics. `collectProcess` adds the standard Node.js process
 * metrics (CPU, memory, event loop lag, file descriptors); tests that build
 * several registries in one process leave it off.
 */
export function createMetrics(options: { collectProcess: boolean }): Metrics {
  const registry = new Registry();
  if (options.collectProcess) collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: `${prefix}admission_requests_total`,
    help:
      'Admission requests handled, by verdict, reason and CRD name ' +
      '("" for requests that name no bundle CRD).',
    labelNames: ['verdict', 'reason', 'crd'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${prefix}admission_decision_duration_seconds`,
    help: 'Time from receiving an admission review to sending the response, in seconds.',
    labelNames: ['verdict'] as const,
    buckets: decisionBuckets,
    registers: [registry],
  });
  const installs = new Counter({
    name: `${prefix}installer_crd_outcomes_total`,
    help:
      'Installer results per CRD, by action (created, upgraded, unchanged, reconciled, ' +
      'skipped-exists, skipped-newer, downgraded, failed).',
    labelNames: ['crd', 'action'] as const,
    registers: [registry],
  });
  const expiry = new Gauge({
    name: `${prefix}certificate_expiry_timestamp_seconds`,
    help:
      'Expiry time of the certificate in use, as Unix time in seconds: ' +
      'the serving certificate, and the CA that signed it.',
    labelNames: ['certificate'] as const,
    registers: [registry],
  });

  return {
    registry,
    recordDecision: (record) => {
      requests.inc({ verdict: record.verdict, reason: record.reason, crd: record.crd ?? '' });
      duration.observe({ verdict: record.verdict }, record.durationMs / 1000);
    },
    recordInstallOutcome: (crd, action) => installs.inc({ crd, action }),
    setCertificateExpiry: (certificate, notAfter) => {
      expiry.set({ certificate }, notAfter.getTime() / 1000);
    },
  };
}

// Time to generate the CA and the serving certificate it signs, as serve does
// on a first start (src/tls/certificates.ts; P-256 keys, SHA-256 signatures).
import { generateCertificateAuthority, issueCertificate } from '../src/tls/certificates.ts';
import { round, summarize } from './stats.ts';

export interface CertificateResult {
  readonly runs: number;
  readonly caMeanMs: number;
  readonly servingMeanMs: number;
  /** CA plus serving certificate. */
  readonly totalMeanMs: number;
  readonly totalMaxMs: number;
}

const dayMs = 24 * 60 * 60 * 1000;

async function timeOnce(): Promise<{ caMs: number; servingMs: number }> {
  const started = performance.now();
  const ca = await generateCertificateAuthority({
    commonName: 'bench-ca',
    validityMs: 365 * dayMs,
  });
  const caDone = performance.now();
  await issueCertificate({
    ca,
    commonName: 'localhost',
    hosts: ['localhost', '127.0.0.1'],
    usage: 'server',
    validityMs: 30 * dayMs,
  });
  return { caMs: caDone - started, servingMs: performance.now() - caDone };
}

/** Generates `runs` CA and serving certificate pairs one after another, after one untimed run. */
export async function measureCertificates(runs: number): Promise<CertificateResult> {
  await timeOnce();
  const ca: number[] = [];
  const serving: number[] = [];
  for (let run = 0; run < runs; run++) {
    const timing = await timeOnce();
    ca.push(timing.caMs);
    serving.push(timing.servingMs);
  }
  const total = summarize(ca.map((value, index) => value + (serving[index] as number)));
  return {
    runs,
    caMeanMs: round(summarize(ca).mean),
    servingMeanMs: round(summarize(serving).mean),
    totalMeanMs: round(total.mean),
    totalMaxMs: round(total.max),
  };
}

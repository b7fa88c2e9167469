import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from '../../src/metrics/metrics.ts';

describe('createMetrics', () => {
  it('counts decisions by verdict, reason and crd', async () => {
    const metrics = createMetrics({ collectProcess: false });
    const crd = 'inferencepools.inference.networking.k8s.io';
    metrics.recordDecision({ verdict: 'denied', reason: 'objects-exist', crd, durationMs: 12 });
    metrics.recordDecision({ verdict: 'denied', reason: 'objects-exist', crd, durationMs: 8 });
    metrics.recordDecision({ verdict: 'allowed', reason: 'not-protected', durationMs: 0.1 });
    const text = await metrics.registry.metrics();
    assert.match(text, /inference_crds_admission_requests_total\{verdict="denied",reason="objects-exist",crd="inferencepools.inference.networking.k8s.io"\} 2/);
    assert.match(text, /inference_crds_admission_requests_total\{verdict="allowed",reason="not-protected",crd=""\} 1/);
    assert.match(text, /inference_crds_admission_decision_duration_seconds_count\{verdict="denied"\} 2/);
    assert.match(text, /inference_crds_admission_decision_duration_seconds_sum\{verdict="denied"\} 0.02\b/);
  });

  it('records installer outcomes and certificate expiry', async () => {
    const metrics = createMetrics({ collectProcess: false });
    metrics.recordInstallOutcome('inferenceobjectives.inference.networking.x-k8s.io', 'created');
    metrics.setCertificateExpiry('serving', new Date('2027-01-01T00:00:00Z'));
    const text = await metrics.registry.metrics();
    assert.match(text, /inference_crds_installer_crd_outcomes_total\{crd="inferenceobjectives.inference.networking.x-k8s.io",action="created"\} 1/);
    assert.match(text, /inference_crds_certificate_expiry_timestamp_seconds\{certificate="serving"\} 1798761600/);
  });

  it('adds process metrics only when asked', async () => {
    const withProcess = await createMetrics({ collectProcess: true }).registry.metrics();
    const without = await createMetrics({ collectProcess: false }).registry.metrics();
    assert.match(withProcess, /process_resident_memory_bytes/);
    assert.doesNotMatch(without, /process_resident_memory_bytes/);
  });
});

// Waits until the API server serves every CRD: Established=True means its REST
// endpoints are up, NamesAccepted=True means its names collide with no other CRD.
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { Logger } from '../logger.ts';

const pollIntervalMs = 250;
const requiredConditions = ['Established', 'NamesAccepted'] as const;

/** A CRD that was not ready when the wait ended, with the conditions that held it back. */
export interface PendingCrd {
  readonly name: string;
  readonly reason: string;
}

function conditionStatus(crd: V1CustomResourceDefinition, type: string) {
  return crd.status?.conditions?.find((condition) => condition.type === type);
}

/** Returns why a CRD is not ready yet, or undefined when both conditions are True. */
export function notReadyReason(crd: V1CustomResourceDefinition | undefined): string | undefined {
  if (crd === undefined) return 'not found';
  const problems: string[] = [];
  for (const type of requiredConditions) {
    const condition = conditionStatus(crd, type);
    if (condition === undefined) {
      problems.push(`${type} not reported yet`);
    } else if (condition.status !== 'True') {
      problems.push(`${type}=${condition.status} (${condition.reason}: ${condition.message})`);
    }
  }
  return problems.length === 0 ? undefined : problems.join(', ');
}

/**
 * Polls the named CRDs until each is Established with its names accepted, or
 * until `timeoutMs` has passed. Returns the CRDs still pending, empty on success.
 */
export async function waitForEstablished(
  read: (name: string) => Promise<V1CustomResourceDefinition | undefined>,
  names: readonly string[],
  timeoutMs: number,
  logger: Logger,
): Promise<PendingCrd[]> {
  const deadline = Date.now() + timeoutMs;
  let pending = names.map((name) => ({ name, reason: 'not read yet' }));
  for (;;) {
    const next: PendingCrd[] = [];
    for (const { name } of pending) {
      const reason = notReadyReason(await read(name));
      if (reason !== undefined) next.push({ name, reason });
    }
    pending = next;
    if (pending.length === 0 || Date.now() >= deadline) return pending;
    logger.debug({ pending: pending.map((crd) => crd.name) }, 'waiting for crds to be established');
    await sleep(Math.min(pollIntervalMs, Math.max(0, deadline - Date.now())));
  }
}

// The deletion guard's entry point: takes the decoded body of a validating
// webhook call and returns the HTTP status and body to send. The handler
// catches every exception, and its reply to a valid review is always an
// AdmissionReview with the request's uid, so the API server gets a verdict.
import type { Bundle } from '../crds/bundle.ts';
import type { Logger } from '../logger.ts';
import { decideDeletion, type Decision } from './decision.ts';
import { countObjectTypes, type ObjectCounter } from './lookup.ts';
import { internalErrorMessage } from './message.ts';
import type { LookupResult } from './objects.ts';
import { parseAdmissionReview } from './parse.ts';
import { hasMismatchedOldObject, lookupsFor } from './plan.ts';
import {
  allowedReview,
  deniedReview,
  type AdmissionRequest,
  type AdmissionReviewResponse,
} from './review.ts';

export { createObjectCounter, type ObjectCounter } from './lookup.ts';

/** Objects listed per type: the examples a denial names. */
const exampleLimit = 3;

export interface DecisionEvent {
  readonly verdict: 'allowed' | 'denied' | 'error' | 'invalid';
  /** A DecisionReason from decision.ts, or 'invalid-review' or 'internal-error'. */
  readonly reason: string;
  readonly crd?: string;
  readonly durationMs: number;
}

export interface GuardDependencies {
  readonly bundle: Bundle;
  readonly lookup: ObjectCounter;
  /** Time that the lookups of one decision may take. Keep it below the webhook's timeoutSeconds. */
  readonly lookupTimeoutMs: number;
  readonly logger: Logger;
  /** Listener called once per request after the decision, for metrics. */
  readonly onDecision?: (event: DecisionEvent) => void;
}

export interface HandlerResult {
  readonly statusCode: number;
  readonly body: unknown;
}

function elapsedMs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 100) / 100;
}

function requestLogger(logger: Logger, request: AdmissionRequest): Logger {
  const { group, resource } = request.resource;
  return logger.child({
    uid: request.uid,
    resource: group === '' ? resource : `${resource}.${group}`,
    name: request.name,
    operation: request.operation,
    user: request.userInfo.username,
    dryRun: request.dryRun ?? false,
  });
}

/** Returns the counts by type, such as { "inferencepools.inference.networking.k8s.io/v1": 3 }. */
function countsOf(results: readonly LookupResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results) {
    if (result.ok) {
      const { plural, group, version } = result.type;
      counts[`${plural}.${group}/${version}`] = result.count.count;
    }
  }
  return counts;
}

function logDecision(
  log: Logger,
  decision: Decision,
  results: readonly LookupResult[],
  durationMs: number,
): void {
  for (const result of results) {
    if (!result.ok) {
      const { group, version, plural } = result.type;
      log.warn({ err: result.cause, group, version, plural }, 'object lookup failed');
    }
  }
  const { verdict, reason, crd } = decision;
  const fields = { verdict, reason, crd, durationMs, counts: countsOf(results) };
  if (reason === 'not-guarded') log.debug(fields, 'admission decision');
  else if (verdict === 'error') log.warn(fields, 'admission decision');
  else log.info(fields, 'admission decision');
}

function reviewOf(uid: string, decision: Decision): AdmissionReviewResponse {
  const status = decision.status;
  if (status === undefined) return allowedReview(uid);
  return deniedReview(uid, status.code, status.reason, status.message);
}

function notify(deps: GuardDependencies, event: DecisionEvent): void {
  try {
    deps.onDecision?.(event);
  } catch (err) {
    deps.logger.error({ err }, 'decision listener failed');
  }
}

async function decide(
  deps: GuardDependencies,
  request: AdmissionRequest,
  startedAt: number,
): Promise<HandlerResult> {
  const log = requestLogger(deps.logger, request);
  if (hasMismatchedOldObject(request)) {
    const metadata: unknown = request.oldObject?.metadata;
    const hasMetadata = typeof metadata === 'object' && metadata !== null;
    const oldObjectName = hasMetadata ? (metadata as { name?: unknown }).name : undefined;
    log.warn({ oldObjectName }, 'oldObject names another object, ignored');
  }
  const types = lookupsFor(request, deps.bundle);
  const options = { limit: exampleLimit, timeoutMs: deps.lookupTimeoutMs };
  const results = await countObjectTypes(deps.lookup, types, options);
  const decision = decideDeletion({ request, bundle: deps.bundle, results });

  const durationMs = elapsedMs(startedAt);
  logDecision(log, decision, results, durationMs);
  const { verdict, reason, crd } = decision;
  notify(deps, { verdict, reason, crd, durationMs });
  return { statusCode: 200, body: reviewOf(request.uid, decision) };
}

function rejectInvalid(deps: GuardDependencies, message: string, startedAt: number): HandlerResult {
  const durationMs = elapsedMs(startedAt);
  deps.logger.info({ reason: message, durationMs }, 'invalid admission review');
  notify(deps, { verdict: 'invalid', reason: 'invalid-review', durationMs });
  return { statusCode: 400, body: { error: 'invalid admission review', message } };
}

function failInternally(
  deps: GuardDependencies,
  err: unknown,
  uid: string | undefined,
  startedAt: number,
): HandlerResult {
  const durationMs = elapsedMs(startedAt);
  const detail = err instanceof Error ? err.message : String(err);
  const body = deniedReview(uid ?? '', 500, 'InternalError', internalErrorMessage(detail));
  try {
    deps.logger.error({ err, uid, durationMs }, 'admission decision failed');
    notify(deps, { verdict: 'error', reason: 'internal-error', durationMs });
  } catch {
    // The reply matters more than the log line, so a failing logger must not stop it.
  }
  return { statusCode: 200, body };
}

/**
 * Creates the handler for the guard's webhook path. A body that is not an
 * AdmissionReview v1 gets HTTP 400 with a JSON error. A review gets HTTP 200
 * with the verdict, including when the guard itself fails: that denies with
 * code 500 and carries the request's uid when the body had one.
 */
export function createGuard(deps: GuardDependencies): (body: unknown) => Promise<HandlerResult> {
  const timeout = deps.lookupTimeoutMs;
  if (!Number.isFinite(timeout) || timeout <= 0) {
    const problem = `lookupTimeoutMs must be a positive number of milliseconds, got ${timeout}`;
    throw new TypeError(problem);
  }
  return async (body) => {
    const startedAt = performance.now();
    let uid: string | undefined;
    try {
      const parsed = parseAdmissionReview(body);
      if (!parsed.ok) return rejectInvalid(deps, parsed.message, startedAt);
      uid = parsed.request.uid;
      return await decide(deps, parsed.request, startedAt);
    } catch (err) {
      return failInternally(deps, err, uid, startedAt);
    }
  };
}

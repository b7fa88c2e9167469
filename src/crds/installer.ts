// Installs a CRD bundle: reads every CRD, plans each one, checks the whole plan
// before the first write, carries it out, then waits until the API server
// serves every CRD.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { Config } from '../config/parse.ts';
import { errorCodes, ProductError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { KubeClients } from '../kube/client.ts';
import { createApiCaller, createCrdApi, type CrdApi } from './api.ts';
import { applyPlan, type CrdOutcome, type CrdTask } from './apply.ts';
import type { Bundle } from './bundle.ts';
import { waitForEstablished, type PendingCrd } from './establish.ts';
import { planCrd, type CrdPlan } from './plan.ts';
import {
  droppedStoredVersions,
  storedVersionError,
  type DroppedStoredVersions,
} from './stored-versions.ts';

export type { CrdAction } from './plan.ts';
export type { CrdOutcome } from './apply.ts';

export interface InstallOptions {
  readonly skipIfExists: boolean;
  readonly keepOnUninstall: boolean;
  readonly allowDowngrade: boolean;
  readonly establishTimeoutMs: number;
  /** Milliseconds to keep retrying while the API server is unreachable or overloaded. */
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Stops the install between API requests, such as when the process shuts down. */
  readonly signal?: AbortSignal;
}

export interface InstallReport {
  readonly bundleVersion: string;
  /** One outcome per bundle CRD, in bundle order. */
  readonly outcomes: readonly CrdOutcome[];
  /** CRDs not Established in time; only an InstallError's report lists any. */
  readonly notEstablished: readonly string[];
}

/** An install that wrote its CRDs but timed out waiting for some to be Established. */
export class InstallError extends ProductError {
  readonly report: InstallReport;

  constructor(message: string, report: InstallReport) {
    super(errorCodes.notEstablished, message);
    this.name = 'InstallError';
    this.report = report;
  }
}

export function installOptionsFrom(config: Config): InstallOptions {
  return {
    skipIfExists: config.skipIfExists,
    keepOnUninstall: config.keepOnUninstall,
    allowDowngrade: config.allowDowngrade,
    establishTimeoutMs: config.establishTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
  };
}

function tasksOf(bundle: Bundle, options: InstallOptions): CrdTask[] {
  return bundle.crds.map((desired) => ({
    name: desired.metadata?.name as string,
    desired,
    bundleVersion: bundle.version,
    options,
  }));
}

// NOTE: a CRD that is being deleted stops the install instead of being
// waited for, because its deletion may never finish while objects remain.
function rejectTerminating(
  tasks: readonly CrdTask[],
  lives: readonly (V1CustomResourceDefinition | undefined)[],
) {
  const terminating = tasks.filter(
    (_task, index) => lives[index]?.metadata?.deletionTimestamp !== undefined,
  );
  if (terminating.length === 0) return;
  const names = terminating.map((task) => task.name).join(', ');
  throw new ProductError(
    errorCodes.apiRequestFailed,
    `CRDs being deleted: ${names}. ` +
      'Wait until kubectl get crd no longer lists them, then install again.',
  );
}

function storedVersionProblems(
  tasks: readonly CrdTask[],
  lives: readonly (V1CustomResourceDefinition | undefined)[],
  plans: readonly CrdPlan[],
): DroppedStoredVersions[] {
  return tasks.flatMap((task, index) => {
    const live = lives[index];
    if (plans[index]?.kind !== 'replace' || live === undefined) return [];
    const versions = droppedStoredVersions(task.desired, live);
    return versions.length === 0 ? [] : [{ crd: task.name, versions }];
  });
}

async function readAll(api: CrdApi, tasks: readonly CrdTask[]) {
  const lives: (V1CustomResourceDefinition | undefined)[] = [];
  for (const task of tasks) lives.push(await api.read(task.name));
  return lives;
}

function notEstablishedError(
  bundle: Bundle,
  report: InstallReport,
  pending: readonly PendingCrd[],
  timeoutMs: number,
) {
  const details = pending.map((crd) => `${crd.name} (${crd.reason})`).join('; ');
  return new InstallError(
    `CRDs of bundle ${bundle.version} not Established within ${timeoutMs / 1000} s: ${details}. ` +
      'Check their status with kubectl describe crd NAME, or raise --establish-timeout.',
    report,
  );
}

/**
 * Installs every CRD of the bundle and waits until each is Established.
 * Throws a ProductError: ERR_STORED_VERSION_DROPPED before any write,
 * ERR_CRD_NOT_ESTABLISHED (an InstallError with the report), ERR_API_UNAVAILABLE
 * once connectTimeoutMs of retries are spent, or ERR_API_REQUEST_FAILED.
 */
export async function installBundle(
  clients: KubeClients,
  bundle: Bundle,
  options: InstallOptions,
  logger: Logger,
): Promise<InstallReport> {
  const callOptions = {
    requestTimeoutMs: options.requestTimeoutMs,
    retryTimeoutMs: options.connectTimeoutMs,
    signal: options.signal,
  };
  const call = createApiCaller(callOptions, logger);
  const api = createCrdApi(clients, call, options.requestTimeoutMs);
  const tasks = tasksOf(bundle, options);
  logger.info(
    { bundleVersion: bundle.version, source: bundle.source, crds: tasks.map((task) => task.name) },
    'installing crd bundle',
  );

  const lives = await readAll(api, tasks);
  rejectTerminating(tasks, lives);
  const plans = tasks.map((task, index) =>
    planCrd(task.desired, bundle.version, lives[index], options),
  );
  const problems = storedVersionProblems(tasks, lives, plans);
  if (problems.length > 0) throw storedVersionError(bundle.version, problems, true);

  const outcomes: CrdOutcome[] = [];
  for (const [index, task] of tasks.entries()) {
    outcomes.push(await applyPlan(api, task, plans[index] as CrdPlan, logger));
  }

  const started = Date.now();
  const names = tasks.map((task) => task.name);
  const pending = await waitForEstablished(api.read, names, options.establishTimeoutMs, logger);
  const report = {
    bundleVersion: bundle.version,
    outcomes,
    notEstablished: pending.map((crd) => crd.name),
  };
  if (pending.length > 0)
    throw notEstablishedError(bundle, report, pending, options.establishTimeoutMs);
  logger.info(
    { bundleVersion: bundle.version, waitedMs: Date.now() - started },
    'crd bundle installed',
  );
  return report;
}

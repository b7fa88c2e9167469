// Carries out one CRD's plan. When another writer got there first (409: the
// CRD was created meanwhile, or its resourceVersion is stale), it reads the
// CRD again and plans anew, so replicas that start together all succeed.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { errorCodes, ProductError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { describeApiError, isConflict } from '../kube/status.ts';
import type { CrdApi } from './api.ts';
import { planCrd, type CrdAction, type CrdPlan, type PlanOptions } from './plan.ts';
import { droppedStoredVersions, storedVersionError } from './stored-versions.ts';

// Each conflict means another writer made progress, so a handful is plenty
// even with many replicas; the bound only stops a writer that never settles.
const maxConflicts = 10;

/** The installer's action on one CRD, with the versions before and after. */
export interface CrdOutcome {
  readonly name: string;
  readonly action: CrdAction;
  /** bundle-version annotation found before the install, if any. */
  readonly previousVersion?: string;
  /** bundle-version annotation on the cluster after the install, if any. */
  readonly installedVersion?: string;
}

/** One bundle CRD with everything needed to (re)plan it. */
export interface CrdTask {
  readonly name: string;
  readonly desired: V1CustomResourceDefinition;
  readonly bundleVersion: string;
  readonly options: PlanOptions;
}

function logLeft(task: CrdTask, plan: CrdPlan & { kind: 'leave' }, logger: Logger): void {
  const fields = {
    crd: task.name,
    installedVersion: plan.previousVersion,
    bundleVersion: task.bundleVersion,
  };
  if (plan.action === 'skipped-newer') {
    logger.warn(
      { ...fields, reason: 'newer bundle-version installed; allow-downgrade is off' },
      'skipped crd',
    );
  } else if (plan.action === 'skipped-exists') {
    logger.info({ ...fields, reason: 'crd exists and skip-if-exists is on' }, 'skipped crd');
  } else {
    logger.info(fields, 'crd unchanged');
  }
}

async function replace(
  api: CrdApi,
  task: CrdTask,
  plan: CrdPlan & { kind: 'replace' },
  logger: Logger,
) {
  await api.replace(plan.body);
  const owner = plan.previousOwner;
  if (owner !== undefined) {
    logger.info(
      {
        crd: task.name,
        previousManagedBy: owner.managedBy,
        helmRelease: owner.helmRelease,
        previousManagers: owner.managers,
        lastAppliedRemoved: owner.lastApplied,
      },
      'took over crd',
    );
  }
  logger.info(
    {
      crd: task.name,
      action: plan.action,
      previousVersion: plan.previousVersion,
      bundleVersion: task.bundleVersion,
    },
    'updated crd',
  );
}

async function execute(
  api: CrdApi,
  task: CrdTask,
  plan: CrdPlan,
  logger: Logger,
): Promise<CrdOutcome> {
  const outcome = { name: task.name, action: plan.action };
  switch (plan.kind) {
    case 'create':
      await api.create(plan.body);
      logger.info({ crd: task.name, bundleVersion: task.bundleVersion }, 'created crd');
      return { ...outcome, installedVersion: task.bundleVersion };
    case 'replace':
      await replace(api, task, plan, logger);
      return {
        ...outcome,
        previousVersion: plan.previousVersion,
        installedVersion: task.bundleVersion,
      };
    case 'leave':
      logLeft(task, plan, logger);
      return {
        ...outcome,
        previousVersion: plan.previousVersion,
        installedVersion: plan.previousVersion,
      };
  }
}

async function replan(api: CrdApi, task: CrdTask): Promise<CrdPlan> {
  const live = await api.read(task.name);
  const plan = planCrd(task.desired, task.bundleVersion, live, task.options);
  const dropped =
    plan.kind === 'replace' && live !== undefined ? droppedStoredVersions(task.desired, live) : [];
  if (dropped.length > 0) {
    throw storedVersionError(task.bundleVersion, [{ crd: task.name, versions: dropped }], false);
  }
  return plan;
}

/** Carries out `plan`, re-reading and re-planning the CRD after each 409. */
export async function applyPlan(
  api: CrdApi,
  task: CrdTask,
  plan: CrdPlan,
  logger: Logger,
): Promise<CrdOutcome> {
  let current = plan;
  for (let conflicts = 0; ; conflicts++) {
    try {
      return await execute(api, task, current, logger);
    } catch (err) {
      if (!isConflict(err)) throw err;
      if (conflicts + 1 >= maxConflicts) {
        throw new ProductError(
          errorCodes.apiRequestFailed,
          `CRD ${task.name} changed during each of ${maxConflicts} write attempts; ` +
            'run the install again',
          { cause: err },
        );
      }
      logger.info(
        { crd: task.name, attempt: conflicts + 1, reason: describeApiError(err) },
        'crd changed concurrently, reading it again',
      );
      current = await replan(api, task);
    }
  }
}

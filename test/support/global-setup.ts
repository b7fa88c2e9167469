// Starts one control plane for the whole test run. The test files run in
// child processes that inherit these environment variables, and
// test/support/cluster.ts reads them.
import { startControlPlane, type ControlPlane } from '../controlplane/controlplane.ts';
import { controlPlaneEnv } from './cluster.ts';

let controlPlane: ControlPlane | undefined;

async function stop(): Promise<void> {
  const running = controlPlane;
  controlPlane = undefined;
  await running?.stop();
}

export async function globalSetup(): Promise<void> {
  controlPlane = await startControlPlane();
  Object.assign(process.env, controlPlaneEnv(controlPlane));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stop().finally(() => process.exit(130)));
  }
}

export async function globalTeardown(): Promise<void> {
  await stop();
}

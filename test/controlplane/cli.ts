// Starts the local control plane and keeps it running until Ctrl-C, for
// people who want to try kubectl against it: `npm run control-plane`.
import { join } from 'node:path';
import { startControlPlane } from './controlplane.ts';

const controlPlane = await startControlPlane();
const kubectl = join(controlPlane.binDir, 'kubectl');
console.log(`control plane ready at ${controlPlane.serverUrl}`);
console.log(`kubeconfig: ${controlPlane.kubeconfigPath}`);
console.log('');
console.log('Try, in another terminal:');
console.log(`  export KUBECONFIG=${controlPlane.kubeconfigPath}`);
console.log(`  ${kubectl} get namespaces`);
console.log('');
console.log('Press Ctrl-C to stop it; its data is removed on exit.');

// The control plane's processes do not keep Node alive on their own.
const keepAlive = setInterval(() => undefined, 60_000);
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping the control plane');
    clearInterval(keepAlive);
    void controlPlane.stop().then(() => process.exit(0));
  });
}

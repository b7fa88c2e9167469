// Renders the Helm chart with its default values into
// deploy/manifests/inference-extension-crds.yaml, for clusters without Helm.
// Run it with `npm run manifests` after changing the chart, because a test
// fails while the file differs from a fresh rendering.
//
// It uses $HELM when set, else the Helm that test/controlplane/build.sh pins
// and caches, because other Helm releases format the output differently.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureBinaries } from '../test/controlplane/controlplane.ts';

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

export const chartPath = join(root, 'deploy/charts/inference-extension-crds');
export const manifestsPath = join(root, 'deploy/manifests/inference-extension-crds.yaml');
export const manifestsNamespace = 'inference-extension-crds';
// The oldest release the chart supports. Rendering for a fixed release keeps
// the output the same whatever Kubernetes release Helm defaults to.
export const manifestsKubeVersion = 'v1.30.0';

const header = `# The inference-extension-crds Helm chart rendered with its default values
# by \`npm run manifests\`; edit the chart, not this file. It needs
# Kubernetes 1.30 or later. Set the image to the registry you pushed it to,
# then apply it with:
#   kubectl apply -f deploy/manifests/inference-extension-crds.yaml
apiVersion: v1
kind: Namespace
metadata:
  name: ${manifestsNamespace}
`;

/** Returns the path of the helm binary: $HELM, else the pinned build. */
export async function helmBinary(): Promise<string> {
  const fromEnv = process.env.HELM;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return join(await ensureBinaries(), 'helm');
}

/** Renders the chart with default values and no hooks, preceded by its Namespace. */
export async function renderManifests(helm: string): Promise<string> {
  const args = ['template', 'inference-extension-crds', chartPath];
  args.push('--namespace', manifestsNamespace, '--kube-version', manifestsKubeVersion);
  // Hooks run only under Helm: applied as plain objects, the uninstall Job
  // would run at once and let the webhook configuration be deleted.
  args.push('--no-hooks');
  const { stdout } = await execFileAsync(helm, args, { maxBuffer: 16 * 1024 * 1024 });
  return `${header}${stdout}`;
}

if (import.meta.main) {
  await writeFile(manifestsPath, await renderManifests(await helmBinary()));
  console.log(`wrote ${manifestsPath}`);
}

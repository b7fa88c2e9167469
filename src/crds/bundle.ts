import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { errorCodes, ProductError } from '../errors.ts';
import { bundleVersionAnnotation, parseBundleVersion } from './version.ts';

/** A set of CRDs installed and guarded together, all of one release. */
export interface Bundle {
  /** Release of every CRD in the bundle, from their bundle-version annotation. */
  readonly version: string;
  /** File or folder the bundle was read from. */
  readonly source: string;
  readonly crds: readonly V1CustomResourceDefinition[];
}

/** Folder of the built-in bundle: the only folder under bundle/, named for its release. */
export const builtInBundleRoot = fileURLToPath(new URL('./bundle/', import.meta.url));

function invalid(source: string, problem: string): ProductError {
  return new ProductError(errorCodes.invalidBundle, `invalid CRD bundle ${source}: ${problem}`);
}

async function yamlFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch((err: unknown) => {
    throw new ProductError(errorCodes.invalidBundle, `CRD bundle ${path} cannot be read`, { cause: err });
  });
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => join(path, entry.name))
    .sort();
}

function parseDocuments(file: string, text: string): unknown[] {
  try {
    return yaml.loadAll(text).filter((document) => document !== null && document !== undefined);
  } catch (err) {
    throw new ProductError(errorCodes.invalidBundle, `invalid CRD bundle ${file}: not valid YAML`, { cause: err });
  }
}

function asCrd(file: string, document: unknown): V1CustomResourceDefinition | undefined {
  const object = document as { apiVersion?: unknown; kind?: unknown };
  if (typeof object !== 'object' || object.kind !== 'CustomResourceDefinition') return undefined;
  if (object.apiVersion !== 'apiextensions.k8s.io/v1') {
    throw invalid(file, `CRD has apiVersion ${String(object.apiVersion)}; only apiextensions.k8s.io/v1 is supported`);
  }
  const crd = document as V1CustomResourceDefinition;
  if (typeof crd.metadata?.name !== 'string' || typeof crd.spec?.group !== 'string') {
    throw invalid(file, 'a CRD lacks metadata.name or spec.group');
  }
  return crd;
}

function bundleVersionOf(source: string, crds: readonly V1CustomResourceDefinition[]): string {
  const versions = new Set(crds.map((crd) => crd.metadata?.annotations?.[bundleVersionAnnotation]));
  if (versions.size !== 1) {
    const found = [...versions].map((version) => version ?? '(none)').join(', ');
    throw invalid(source, `every CRD must carry the same ${bundleVersionAnnotation} annotation; found ${found}`);
  }
  const version = [...versions][0];
  if (version === undefined || parseBundleVersion(version) === undefined) {
    throw invalid(source, `${bundleVersionAnnotation} must be a release such as v1.3.0; found ${String(version)}`);
  }
  return version;
}

/**
 * Loads a bundle from a YAML file (one or more documents, such as an upstream
 * manifests.yaml) or a folder of them. Documents of other kinds are skipped.
 * Throws ERR_INVALID_BUNDLE when there is no CRD, a name repeats, or the CRDs
 * disagree on their bundle-version.
 */
export async function loadBundle(path: string): Promise<Bundle> {
  const crds: V1CustomResourceDefinition[] = [];
  for (const file of await yamlFiles(path)) {
    for (const document of parseDocuments(file, await readFile(file, 'utf8'))) {
      const crd = asCrd(file, document);
      if (crd !== undefined) crds.push(crd);
    }
  }
  if (crds.length === 0) throw invalid(path, 'it contains no CustomResourceDefinition');
  const names = crds.map((crd) => crd.metadata?.name as string);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) throw invalid(path, `CRD ${repeated} appears twice`);
  const version = bundleVersionOf(path, crds);
  return Object.freeze({ version, source: path, crds: Object.freeze(crds) });
}

/** Loads the bundle shipped with the product. */
export async function loadBuiltInBundle(): Promise<Bundle> {
  const entries = await readdir(builtInBundleRoot, { withFileTypes: true });
  const folders = entries.filter((entry) => entry.isDirectory());
  if (folders.length !== 1) {
    throw invalid(builtInBundleRoot, `expected exactly one release folder, found ${folders.length}`);
  }
  const folder = folders[0]!.name;
  const bundle = await loadBundle(join(builtInBundleRoot, folder));
  if (bundle.version !== folder) {
    throw invalid(bundle.source, `folder ${folder} contains CRDs annotated ${bundle.version}`);
  }
  return bundle;
}

/** Returns the CRD names of a bundle, in bundle order. */
export function crdNames(bundle: Bundle): string[] {
  return bundle.crds.map((crd) => crd.metadata?.name as string);
}

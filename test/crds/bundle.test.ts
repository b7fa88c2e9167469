import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { builtInBundleRoot, crdNames, loadBuiltInBundle, loadBundle } from '../../src/crds/bundle.ts';
import { errorCodes, hasCode } from '../../src/errors.ts';

const builtInFolder = join(builtInBundleRoot, 'v1.3.0');

async function scratch(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'bundle-test-'));
}

async function rejectsWithCode(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(hasCode(err, errorCodes.invalidBundle), String(err));
    assert.match((err as Error).message, pattern);
    return true;
  });
}

describe('loadBuiltInBundle', () => {
  it('reads five CRDs of v1.3.0 from the files', async () => {
    const bundle = await loadBuiltInBundle();
    assert.equal(bundle.version, 'v1.3.0');
    assert.deepEqual(crdNames(bundle).sort(), [
      'inferencemodelrewrites.inference.networking.x-k8s.io',
      'inferenceobjectives.inference.networking.x-k8s.io',
      'inferencepoolimports.inference.networking.x-k8s.io',
      'inferencepools.inference.networking.k8s.io',
      'inferencepools.inference.networking.x-k8s.io',
    ]);
  });

  it('finds InferencePool in both API groups', async () => {
    const bundle = await loadBuiltInBundle();
    const pools = bundle.crds.filter((crd) => crd.spec.names.kind === 'InferencePool');
    assert.deepEqual(pools.map((crd) => crd.spec.group).sort(), ['inference.networking.k8s.io', 'inference.networking.x-k8s.io']);
  });
});

describe('loadBundle', () => {
  it('reads a multi-document manifests file and skips other kinds', async () => {
    const folder = await scratch();
    const files = ['inference.networking.k8s.io_inferencepools.yaml', 'inference.networking.x-k8s.io_inferenceobjectives.yaml'];
    const documents = await Promise.all(files.map((file) => readFile(join(builtInFolder, file), 'utf8')));
    const namespace = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n';
    const path = join(folder, 'manifests.yaml');
    await writeFile(path, [documents[0], namespace, documents[1]].join('\n---\n'));
    const bundle = await loadBundle(path);
    assert.equal(bundle.crds.length, 2);
    assert.equal(bundle.version, 'v1.3.0');
  });

  it('rejects a bundle without CRDs', async () => {
    const path = join(await scratch(), 'empty.yaml');
    await writeFile(path, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
    await rejectsWithCode(loadBundle(path), /contains no CustomResourceDefinition/);
  });

  it('rejects CRDs of different bundle versions', async () => {
    const folder = await scratch();
    const text = await readFile(join(builtInFolder, 'inference.networking.x-k8s.io_inferenceobjectives.yaml'), 'utf8');
    const other = await readFile(join(builtInFolder, 'inference.networking.x-k8s.io_inferencepoolimports.yaml'), 'utf8');
    await writeFile(join(folder, 'a.yaml'), text);
    await writeFile(join(folder, 'b.yaml'), other.replace('bundle-version: v1.3.0', 'bundle-version: v1.4.0'));
    await rejectsWithCode(loadBundle(folder), /same inference.networking.k8s.io\/bundle-version.*v1.3.0, v1.4.0/);
  });

  it('rejects a CRD listed twice', async () => {
    const folder = await scratch();
    const text = await readFile(join(builtInFolder, 'inference.networking.x-k8s.io_inferenceobjectives.yaml'), 'utf8');
    await writeFile(join(folder, 'a.yaml'), text);
    await writeFile(join(folder, 'b.yaml'), text);
    await rejectsWithCode(loadBundle(folder), /appears twice/);
  });

  it('rejects invalid YAML with the file name', async () => {
    const path = join(await scratch(), 'broken.yaml');
    await writeFile(path, 'kind: [unclosed\n');
    await rejectsWithCode(loadBundle(path), /broken\.yaml: not valid YAML/);
  });

  it('rejects a path that does not exist', async () => {
    await rejectsWithCode(loadBundle('/nonexistent/bundle'), /cannot be read/);
  });
});

// Checks the Dockerfile without a Docker engine: base images, entrypoint,
// what reaches the final stage, the user, and the build context.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ensureBinaries } from '../controlplane/controlplane.ts';
import { isIgnored, nodeMajorOfImage, parseCopy, parseDockerfile, type Stage } from './dockerfile.ts';
import { findObject, podSpecOf, renderChart } from './helm.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface PackageJson {
  bin: Record<string, string>;
  engines: { node: string };
  devDependencies: Record<string, string>;
}

let stages: Stage[];
let finalStage: Stage;
let manifest: PackageJson;
let ignorePatterns: string[];

function instructions(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.value);
}

function execArray(stage: Stage, keyword: string): string[] {
  const values = instructions(stage, keyword);
  assert.ok(values.length > 0, `final stage has no ${keyword}`);
  return JSON.parse(values.at(-1) as string) as string[];
}

function firstMajor(range: string): number {
  const match = /(\d+)/.exec(range);
  assert.ok(match !== null, `no version number in ${range}`);
  return Number(match[1]);
}

// Stages whose node_modules contain dev dependencies: they ran npm ci without --omit=dev.
function stagesWithDevDependencies(): Set<string> {
  const names = stages
    .filter((stage) => instructions(stage, 'RUN').some((run) => /\bnpm ci\b/.test(run) && !run.includes('--omit=dev')))
    .map((stage) => stage.name ?? '');
  return new Set(names);
}

before(async () => {
  stages = parseDockerfile(await readFile(join(root, 'Dockerfile'), 'utf8'));
  finalStage = stages.at(-1) as Stage;
  manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as PackageJson;
  ignorePatterns = (await readFile(join(root, '.dockerignore'), 'utf8')).split('\n');
});

describe('Dockerfile base images', () => {
  it('are all Node.js images', () => {
    for (const stage of stages) assert.notEqual(nodeMajorOfImage(stage.image), undefined, stage.image);
  });

  it('match the Node.js major of package.json engines', () => {
    const expected = firstMajor(manifest.engines.node);
    for (const stage of stages) assert.equal(nodeMajorOfImage(stage.image), expected, stage.image);
  });

  it('match the node dev dependency', () => {
    const expected = firstMajor(manifest.devDependencies.node as string);
    for (const stage of stages) assert.equal(nodeMajorOfImage(stage.image), expected, stage.image);
  });
});

describe('Dockerfile entrypoint', () => {
  it('runs the CLI that package.json names', () => {
    const entrypoint = execArray(finalStage, 'ENTRYPOINT');
    assert.equal(entrypoint.at(-1), manifest.bin['inference-extension-crds']);
  });

  it('runs serve by default', () => {
    assert.deepEqual(execArray(finalStage, 'CMD'), ['serve']);
  });

  it('copies the build output the entrypoint names', () => {
    const entry = execArray(finalStage, 'ENTRYPOINT').at(-1) as string;
    const outDir = entry.split('/')[0] as string;
    const copies = instructions(finalStage, 'COPY').map(parseCopy);
    assert.ok(copies.some((copy) => copy.sources.some((source) => source.endsWith(`/${outDir}`))), `no COPY of ${outDir}`);
  });

  it('is where tsc writes src/main.ts', async () => {
    // Compiles into a temporary folder in place of dist/ and looks for the entrypoint there.
    const outDir = await mkdtemp(join(tmpdir(), 'dockerfile-build-'));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const code = await new Promise<number>((resolve) => {
      const args = [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir];
      execFile(process.execPath, args, { cwd: root, timeout: 300_000 }, (err) => resolve(err === null ? 0 : 1));
    });
    const entry = execArray(finalStage, 'ENTRYPOINT').at(-1) as string;
    const compiled = join(outDir, entry.split('/').slice(1).join('/'));
    const exists = existsSync(compiled);
    await rm(outDir, { recursive: true, force: true });
    assert.equal(code, 0, 'tsc -p tsconfig.build.json failed');
    assert.ok(exists, `tsc wrote no ${entry}`);
  });
});

describe('Dockerfile final stage', () => {
  it('copies no node_modules with dev dependencies', () => {
    const withDev = stagesWithDevDependencies();
    assert.ok(withDev.size > 0, 'no stage installs dev dependencies, so the build stage cannot compile');
    for (const copy of instructions(finalStage, 'COPY').map(parseCopy)) {
      if (copy.from === undefined || !withDev.has(copy.from)) continue;
      for (const source of copy.sources) {
        assert.match(source, /\/dist$/, `COPY --from=${copy.from} ${source} may carry dev dependencies`);
      }
    }
  });

  it('takes node_modules from npm ci --omit=dev', () => {
    const copies = instructions(finalStage, 'COPY').map(parseCopy);
    const modules = copies.filter((copy) => copy.sources.some((source) => source.endsWith('node_modules')));
    assert.equal(modules.length, 1);
    const source = stages.find((stage) => stage.name === modules[0]?.from);
    assert.ok(source !== undefined, `no stage named ${modules[0]?.from}`);
    assert.ok(instructions(source, 'RUN').some((run) => /\bnpm ci\b.*--omit=dev/.test(run)));
  });

  it('needs no install script of a production dependency', async () => {
    // The dependencies stage runs npm ci --ignore-scripts.
    const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }>;
    };
    const scripted = Object.entries(lock.packages).filter(([, entry]) => entry.hasInstallScript === true && entry.dev !== true);
    assert.deepEqual(scripted.map(([path]) => path), []);
  });

  it('copies only package.json from the build context', () => {
    const fromContext = instructions(finalStage, 'COPY').map(parseCopy).filter((copy) => copy.from === undefined);
    assert.deepEqual(fromContext.flatMap((copy) => copy.sources), ['package.json']);
  });

  it('runs as the non-root user of the chart', async () => {
    const users = instructions(finalStage, 'USER');
    assert.ok(users.length > 0, 'final stage has no USER');
    const uid = Number((users.at(-1) as string).split(':')[0]);
    assert.ok(Number.isInteger(uid), `USER ${users.at(-1)} is not a numeric UID`);
    assert.ok(uid > 0, `USER ${users.at(-1)} is root`);
    const objects = await renderChart(await ensureBinaries());
    assert.equal(podSpecOf(findObject(objects, 'Deployment')).securityContext.runAsUser, uid);
  });
});

describe('.dockerignore', () => {
  it('keeps local installs and output out of the build context', () => {
    for (const path of ['node_modules', 'node_modules/node/bin/node', 'dist/main.js', '.git/config', 'certs/tls.key']) {
      assert.equal(isIgnored(ignorePatterns, path), true, path);
    }
  });

  it('keeps every file the Dockerfile copies', () => {
    for (const stage of stages) {
      for (const copy of instructions(stage, 'COPY').map(parseCopy).filter((entry) => entry.from === undefined)) {
        for (const source of copy.sources) {
          const path = source.replace(/\/$/, '');
          assert.equal(existsSync(join(root, path)), true, `${path} does not exist`);
          assert.equal(isIgnored(ignorePatterns, path), false, `${path} is ignored`);
        }
      }
    }
  });

  it('keeps the CRD bundle for the build', () => {
    const file = 'src/crds/bundle/v1.3.0/inference.networking.k8s.io_inferencepools.yaml';
    assert.equal(isIgnored(ignorePatterns, file), false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatOutcomes } from '../../src/cli/install.ts';
import { formatStatusTable } from '../../src/cli/status.ts';
import type { InstallReport } from '../../src/crds/installer.ts';

const pools = 'inferencepools.inference.networking.k8s.io';
const rewrites = 'inferencemodelrewrites.inference.networking.x-k8s.io';

function report(outcomes: InstallReport['outcomes'], notEstablished: string[] = []): InstallReport {
  return { bundleVersion: 'v1.3.0', outcomes, notEstablished };
}

describe('formatOutcomes', () => {
  it('aligns the actions after the longest name', () => {
    const text = formatOutcomes(
      report([
        { name: pools, action: 'created', installedVersion: 'v1.3.0' },
        {
          name: rewrites,
          action: 'unchanged',
          previousVersion: 'v1.3.0',
          installedVersion: 'v1.3.0',
        },
      ]),
    );
    assert.deepEqual(text, [
      'inferencepools.inference.networking.k8s.io            created',
      'inferencemodelrewrites.inference.networking.x-k8s.io  unchanged',
    ]);
  });

  it('describes each action', () => {
    const cases = [
      [{ name: pools, action: 'upgraded', previousVersion: 'v1.2.0' }, 'upgraded from v1.2.0'],
      [{ name: pools, action: 'upgraded' }, 'upgraded from an unversioned install'],
      [{ name: pools, action: 'downgraded', previousVersion: 'v1.4.0' }, 'downgraded from v1.4.0'],
      [{ name: pools, action: 'reconciled', previousVersion: 'v1.3.0' }, 'reconciled'],
      [{ name: pools, action: 'skipped-exists', previousVersion: 'v1.2.0' }, 'skipped: exists'],
      [
        { name: pools, action: 'skipped-newer', previousVersion: 'v1.4.0' },
        'skipped: newer v1.4.0 installed',
      ],
    ] as const;
    for (const [outcome, expected] of cases) {
      assert.deepEqual(formatOutcomes(report([outcome])), [`${pools}  ${expected}`]);
    }
  });

  it('marks CRDs that are not Established', () => {
    const text = formatOutcomes(report([{ name: pools, action: 'created' }], [pools]));
    assert.deepEqual(text, [`${pools}  created, not established`]);
  });
});

describe('formatStatusTable', () => {
  it('prints a header and one aligned row per CRD', () => {
    const text = formatStatusTable([
      {
        name: pools,
        installed: true,
        bundleVersion: 'v1.3.0',
        servedVersions: ['v1'],
        established: true,
        keepOnUninstall: 'true',
        objects: 12,
      },
      { name: rewrites, installed: false, servedVersions: [], established: false },
    ]);
    assert.deepEqual(text.split('\n'), [
      'NAME                                                   INSTALLED   VERSION   SERVED   ESTABLISHED   KEEP   OBJECTS',
      'inferencepools.inference.networking.k8s.io             yes         v1.3.0    v1       yes           true   12',
      'inferencemodelrewrites.inference.networking.x-k8s.io   no          -         -        -             -      -',
    ]);
  });

  it('shows objects that could not be counted as unknown', () => {
    const text = formatStatusTable([
      { name: pools, installed: true, servedVersions: ['v1', 'v1beta1'], established: false },
    ]);
    assert.deepEqual(text.split('\n')[1]?.split(/\s+/), [
      pools,
      'yes',
      '-',
      'v1,v1beta1',
      'no',
      '-',
      'unknown',
    ]);
  });
});

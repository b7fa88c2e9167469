import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiextensionsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { useCluster, writeTokenKubeconfig } from '../support/cluster.ts';
import { kubectl } from '../support/kubectl.ts';

const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.controlplane.test.example' },
  spec: {
    group: 'controlplane.test.example',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
      },
    ],
  },
};

async function waitEstablished(api: ApiextensionsV1Api, name: string): Promise<boolean> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const crd = await api.readCustomResourceDefinition({ name });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

describe('control plane', () => {
  it('creates and reads a namespace', async () => {
    const cluster = await useCluster();
    const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'controlplane-smoke' } } });
    const namespace = await core.readNamespace({ name: 'controlplane-smoke' });
    assert.equal(namespace.metadata?.name, 'controlplane-smoke');
    assert.equal(namespace.status?.phase, 'Active');
  });

  it('establishes a CRD that kubectl reads back', async () => {
    const cluster = await useCluster();
    const api = cluster.kubeConfig.makeApiClient(ApiextensionsV1Api);
    await api.createCustomResourceDefinition({ body: widgetCrd });
    assert.equal(await waitEstablished(api, widgetCrd.metadata.name), true);

    const read = await kubectl(cluster, ['get', 'crd', widgetCrd.metadata.name, '-o', 'json']);
    assert.equal(read.code, 0, read.stderr);
    const crd = JSON.parse(read.stdout) as { spec: { names: { kind: string } }; status: { acceptedNames: { kind: string } } };
    assert.equal(crd.spec.names.kind, 'Widget');
    assert.equal(crd.status.acceptedNames.kind, 'Widget');

    const created = await kubectl(cluster, ['create', '-f', '-'], JSON.stringify({
      apiVersion: 'controlplane.test.example/v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'default' }, spec: { size: 3 },
    }));
    assert.equal(created.code, 0, created.stderr);
    const listed = await kubectl(cluster, ['get', 'widgets', '-n', 'default', '-o', 'jsonpath={.items[*].spec.size}']);
    assert.equal(listed.stdout, '3');

    await api.deleteCustomResourceDefinition({ name: widgetCrd.metadata.name });
  });

  it('enforces RBAC for an unprivileged service account', async () => {
    const cluster = await useCluster();
    const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'nobody' } } });
    const token = await core.createNamespacedServiceAccountToken({
      namespace: 'default', name: 'nobody', body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const kubeconfigPath = await writeTokenKubeconfig(cluster, token.status?.token ?? '', 'nobody');
    const asNobody = { ...cluster, kubeconfigPath };
    const whoami = await kubectl(asNobody, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.equal(whoami.stdout, 'system:serviceaccount:default:nobody', whoami.stderr);
    const denied = await kubectl(asNobody, ['get', 'secrets', '-n', 'kube-system']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /forbidden/);
  });
});

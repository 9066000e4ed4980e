import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { type RunningCluster, startCluster } from '../../cluster/control-plane.ts';
import {
  clientFor,
  ensureNamespace,
  eventually,
  gitRepository,
  installCrds,
  kustomization,
  waitForReady,
} from '../../support/flux-fixture.ts';
import { commitFiles, type GitServer, startGitServer } from '../../support/git-server.ts';

// The Kustomization fields that change how and where things are applied: postBuild substitution from a ConfigMap,
// Flux's overlay fields (namePrefix, images, commonMetadata), serviceAccountName impersonation (RBAC enforced by
// the real apiserver) and kubeConfig.secretRef (apply to another cluster).

const cluster = inject('cluster');
const NS = 'features';
const KS = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };

let git: GitServer;
let client: ClusterClient;
let fluxdeck: Fluxdeck;
let dataDir: string;
let url: string;

const get = <T extends KubeObject = KubeObject>(
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
): Promise<T | undefined> => client.tryGet<T>({ apiVersion, kind, namespace, name });

beforeAll(async () => {
  git = await startGitServer();
  url = await git.createRepo('features');
  await commitFiles(git.repoPath('features'), {
    'app/deploy.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 0\n  selector:\n    matchLabels: { app: web }\n  template:\n    metadata:\n      labels: { app: web }\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n`,
    'app/config.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  env: "\${cluster_env}"\n  region: "\${region:=eu-west-1}"\n  greeting: "\${greeting}"\n`,
    'limited/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: allowed\n  namespace: sa-allowed\ndata: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: denied\n  namespace: sa-denied\ndata: {}\n`,
    'remote/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-afar\n  namespace: default\ndata:\n  where: remote\n`,
  });
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  for (const ns of [NS, 'sa-allowed', 'sa-denied']) await ensureNamespace(client, ns);
  dataDir = await mkdtemp(join(tmpdir(), 'fluxdeck-features-'));
  fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir,
    watchKubeconfigs: false,
    identity: 'features',
  });
  await fluxdeck.connect(cluster.name);
  await client.create(gitRepository(NS, 'features', url));
});

afterAll(async () => {
  await fluxdeck.stop();
  client.close();
  await git.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(git.root, { recursive: true, force: true });
});

describe('Kustomization spec features', () => {
  it('substitutes variables from postBuild.substitute and a ConfigMap, and applies the overlay fields', async () => {
    await client.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cluster-vars', namespace: NS },
      data: { cluster_env: 'staging', greeting: 'from-configmap' },
    });
    await client.create(
      kustomization(NS, 'app', 'features', {
        path: './app',
        targetNamespace: NS,
        namePrefix: 'team-',
        images: [{ name: 'nginx', newTag: '1.27' }],
        commonMetadata: { labels: { team: 'platform' } },
        postBuild: {
          substitute: { greeting: 'inline-wins' },
          substituteFrom: [{ kind: 'ConfigMap', name: 'cluster-vars' }],
        },
      }),
    );
    await waitForReady(client, KS, NS, 'app', (r) => r.status === 'True');
    const cm = await get<KubeObject & { data: Record<string, string> }>('v1', 'ConfigMap', NS, 'team-settings');
    expect(cm?.data).toEqual({ env: 'staging', region: 'eu-west-1', greeting: 'inline-wins' });
    expect(cm?.metadata.labels?.team).toBe('platform');
    const deploy = await get<KubeObject & { spec: { template: { spec: { containers: { image: string }[] } } } }>(
      'apps/v1',
      'Deployment',
      NS,
      'team-web',
    );
    expect(deploy?.spec.template.spec.containers[0]?.image).toBe('nginx:1.27');
  });

  it('reports a missing substituteFrom ConfigMap as BuildFailed, unless optional', async () => {
    await client.create(
      kustomization(NS, 'novars', 'features', {
        path: './app',
        targetNamespace: NS,
        namePrefix: 'nv-',
        postBuild: { substituteFrom: [{ kind: 'ConfigMap', name: 'missing' }] },
      }),
    );
    await waitForReady(
      client,
      KS,
      NS,
      'novars',
      (r) =>
        r.status === 'False' && r.reason === 'BuildFailed' && r.message.includes("substitute from 'ConfigMap/missing'"),
    );
    await client.patch(
      { ...KS, namespace: NS, name: 'novars' },
      { spec: { postBuild: { substituteFrom: [{ kind: 'ConfigMap', name: 'missing', optional: true }] } } },
      'merge',
    );
    await waitForReady(client, KS, NS, 'novars', (r) => r.status === 'True');
  });

  it('applies as the service account named in serviceAccountName, so RBAC decides what it may change', async () => {
    await client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'deployer', namespace: NS } });
    await client.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'cm-writer', namespace: 'sa-allowed' },
      rules: [
        {
          apiGroups: [''],
          resources: ['configmaps'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
      ],
    });
    await client.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'deployer', namespace: 'sa-allowed' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-writer' },
      subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: NS }],
    });
    await client.create(
      kustomization(NS, 'limited', 'features', { path: './limited', serviceAccountName: 'deployer' }),
    );
    const ks = await waitForReady(client, KS, NS, 'limited', (r) => r.status === 'False');
    const ready = (ks.status as { conditions: { type: string; message: string }[] }).conditions.find(
      (c) => c.type === 'Ready',
    );
    expect(ready?.message).toMatch(/sa-denied|forbidden/i);
    expect(await get('v1', 'ConfigMap', 'sa-denied', 'denied')).toBeUndefined();
  });

  it('applies to another cluster through kubeConfig.secretRef', async () => {
    const remoteDir = await mkdtemp(join(tmpdir(), 'fluxdeck-remote-'));
    let remote: RunningCluster | undefined;
    try {
      remote = await startCluster({ name: 'remote', dir: remoteDir, tier: 'api', ownerPid: process.pid });
      const kubeconfig = await readFile(remote.kubeconfig, 'utf8');
      await client.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'remote-kubeconfig', namespace: NS },
        stringData: { value: kubeconfig },
      });
      await client.create(
        kustomization(NS, 'remote', 'features', {
          path: './remote',
          kubeConfig: { secretRef: { name: 'remote-kubeconfig' } },
        }),
      );
      await waitForReady(client, KS, NS, 'remote', (r) => r.status === 'True');
      const remoteClient = await clientFor(remote.kubeconfig);
      const cm = await remoteClient.tryGet<KubeObject & { data: Record<string, string> }>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'default',
        name: 'from-afar',
      });
      remoteClient.close();
      expect(cm?.data.where).toBe('remote');
      expect(await get('v1', 'ConfigMap', 'default', 'from-afar')).toBeUndefined();
      await client.delete({ ...KS, namespace: NS, name: 'remote' });
      await eventually('remote Kustomization gone', async () =>
        (await get(KS.apiVersion, 'Kustomization', NS, 'remote')) ? undefined : true,
      );
    } finally {
      await remote?.stop();
      await rm(remoteDir, { recursive: true, force: true });
    }
  });
});

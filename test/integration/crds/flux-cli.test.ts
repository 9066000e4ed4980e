import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { installFluxCrds } from '../../../main/controllers/crds/install-flux-crds.ts';
import { markTrue } from '../../../main/flux/conditions.ts';
import { type FluxKindName, fluxKinds } from '../../../main/flux/kinds.ts';
import { type ClusterClient, openCluster } from '../../../main/kube/cluster-client.ts';
import { loadKubeconfig } from '../../../main/kube/kubeconfig.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { type RunningCluster, startCluster } from '../../cluster/control-plane.ts';
import { ensureTool } from '../../tools/tools.ts';

// The real `flux` CLI (2.9.5, built from the Go module proxy by test/tools/build.sh) against Fluxdeck's
// CRDs: it must list, suspend and walk objects stored through them exactly as it does with Flux's own CRDs.

const run = promisify(execFile);
const ns = 'apps';
const REVISION = 'main@sha1:0123456789abcdef0123456789abcdef01234567';
let flux: string;
let cluster: RunningCluster;
let client: ClusterClient;

async function fluxCli(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run(flux, ['--kubeconfig', cluster.kubeconfig, '--context', cluster.name, ...args]);
  return stdout + stderr;
}

/** A table row of `flux get` output as its cells. */
function row(output: string, name: string): string[] | undefined {
  return output
    .split('\n')
    .map((line) => line.split('\t').map((cell) => cell.trim()))
    .find((cells) => cells.includes(name));
}

function object(kind: FluxKindName, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: fluxKinds[kind].apiVersion, kind, metadata: { name, namespace: ns }, spec };
}

/** Writes status through the status subresource, as a controller does, with a Ready condition. */
async function markReady(
  kind: FluxKindName,
  name: string,
  reason: string,
  message: string,
  status = {},
): Promise<void> {
  const conditions = markTrue([], { type: 'Ready', reason, message }, { generation: 1 });
  await client.patchStatus(
    { apiVersion: fluxKinds[kind].apiVersion, kind, namespace: ns, name },
    { status: { observedGeneration: 1, conditions, ...status } },
  );
}

beforeAll(async () => {
  flux = await ensureTool('flux');
  cluster = await startCluster({
    name: 'crds-flux-cli',
    dir: join(tmpdir(), `fluxdeck-crds-flux-cli-${process.pid}`),
    tier: 'api',
    ownerPid: process.pid,
  });
  const { config } = await loadKubeconfig([cluster.kubeconfig]);
  client = await openCluster(cluster.name, { kubeconfig: config });
  const results = await installFluxCrds(client);
  expect(results.filter((r) => r.action !== 'installed')).toEqual([]);
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
}, 30 * 60_000);

afterAll(async () => {
  client.close();
  await cluster.stop();
  await rm(cluster.dir, { recursive: true, force: true });
});

describe('the flux CLI on Fluxdeck CRDs', () => {
  it('lists sources and Kustomizations with their revision and readiness', async () => {
    await client.create(object('GitRepository', 'podinfo', { url: 'https://example.com/podinfo', interval: '1m' }));
    await client.create(
      object('Kustomization', 'podinfo', {
        interval: '10m',
        prune: true,
        sourceRef: { kind: 'GitRepository', name: 'podinfo' },
      }),
    );
    const waiting = await fluxCli('get', 'sources', 'git', '-n', ns);
    expect(row(waiting, 'podinfo')).toEqual(['podinfo', '', 'False', 'False', 'waiting to be reconciled', '']);

    await markReady('GitRepository', 'podinfo', 'Succeeded', `stored artifact for revision '${REVISION}'`, {
      artifact: {
        path: 'gitrepository/apps/podinfo/0123.tar.gz',
        url: 'http://127.0.0.1/gitrepository/apps/podinfo/0123.tar.gz',
        revision: REVISION,
        digest: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
        lastUpdateTime: '2024-05-01T10:00:00Z',
      },
    });
    await markReady('Kustomization', 'podinfo', 'ReconciliationSucceeded', `Applied revision: ${REVISION}`, {
      lastAppliedRevision: REVISION,
      inventory: {
        entries: [
          { id: 'apps_podinfo_apps_Deployment', v: 'v1' },
          { id: 'apps_podinfo__Service', v: 'v1' },
        ],
      },
    });
    // flux shortens sha1 revisions to 8 hex digits.
    expect(row(await fluxCli('get', 'sources', 'git', '-n', ns), 'podinfo')).toEqual([
      'podinfo',
      'main@sha1:01234567',
      'False',
      'True',
      "stored artifact for revision 'main@sha1:01234567'",
      '',
    ]);
    expect(row(await fluxCli('get', 'kustomizations', '-A'), 'podinfo')).toEqual([
      ns,
      'podinfo',
      'main@sha1:01234567',
      'False',
      'True',
      'Applied revision: main@sha1:01234567',
      '',
    ]);
  });

  it('suspends through the spec', async () => {
    expect(await fluxCli('suspend', 'kustomization', 'podinfo', '-n', ns)).toContain('✔ kustomization suspended');
    const ks = await client.get<KubeObject & { spec: { suspend?: boolean } }>({
      apiVersion: fluxKinds.Kustomization.apiVersion,
      kind: 'Kustomization',
      namespace: ns,
      name: 'podinfo',
    });
    expect(ks.spec.suspend).toBe(true);
    expect(row(await fluxCli('get', 'ks', '-n', ns), 'podinfo')?.[2]).toBe('True');
  });

  it('walks the inventory with flux tree', async () => {
    expect((await fluxCli('tree', 'kustomization', 'podinfo', '-n', ns)).trim()).toBe(
      'Kustomization/apps/podinfo\n├── Deployment/apps/podinfo\n└── Service/apps/podinfo',
    );
  });

  it('lists every other kind, the image and notification kinds included', async () => {
    const objects: [FluxKindName, string, Record<string, unknown>][] = [
      ['HelmRepository', 'charts', { url: 'https://charts.example.com', interval: '1h' }],
      ['HelmChart', 'app', { chart: 'app', interval: '1h', sourceRef: { kind: 'HelmRepository', name: 'charts' } }],
      ['OCIRepository', 'manifests', { url: 'oci://ghcr.io/example/manifests', interval: '5m' }],
      ['Bucket', 'assets', { bucketName: 'assets', endpoint: 'minio.example.com', interval: '5m' }],
      ['HelmRelease', 'app', { interval: '10m', chartRef: { kind: 'OCIRepository', name: 'manifests' } }],
      ['ImageRepository', 'app', { image: 'ghcr.io/example/app', interval: '5m' }],
      ['ImagePolicy', 'app', { imageRepositoryRef: { name: 'app' }, policy: { semver: { range: '1.x' } } }],
      [
        'ImageUpdateAutomation',
        'app',
        {
          interval: '30m',
          sourceRef: { kind: 'GitRepository', name: 'podinfo' },
          git: { commit: { author: { email: 'bot@example.com' } } },
        },
      ],
      ['Provider', 'slack', { type: 'slack', channel: 'general' }],
      ['Alert', 'all', { providerRef: { name: 'slack' }, eventSources: [{ kind: 'Kustomization', name: '*' }] }],
      [
        'Receiver',
        'github',
        { type: 'github', secretRef: { name: 'token' }, resources: [{ kind: 'GitRepository', name: 'podinfo' }] },
      ],
    ];
    for (const [kind, name, spec] of objects) await client.create(object(kind, name, spec));
    const listings: [string[], string][] = [
      [['get', 'sources', 'helm'], 'charts'],
      [['get', 'sources', 'chart'], 'app'],
      [['get', 'sources', 'oci'], 'manifests'],
      [['get', 'sources', 'bucket'], 'assets'],
      [['get', 'helmreleases'], 'app'],
      [['get', 'images', 'repository'], 'app'],
      [['get', 'images', 'policy'], 'app'],
      [['get', 'images', 'update'], 'app'],
      [['get', 'alert-providers'], 'slack'],
      [['get', 'alerts'], 'all'],
      [['get', 'receivers'], 'github'],
    ];
    for (const [words, name] of listings) {
      expect(row(await fluxCli(...words, '-n', ns), name), words.join(' ')).toBeDefined();
    }
    const all = await fluxCli('get', 'all', '-n', ns);
    for (const name of [
      'gitrepository/podinfo',
      'ocirepository/manifests',
      'kustomization/podinfo',
      'helmrelease/app',
    ]) {
      expect(all).toContain(name);
    }
  });
});

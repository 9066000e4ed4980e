import { describe, expect, it } from 'vitest';

import type { FluxObject } from '../../../main/contract/index.ts';
import {
  automationPolicies,
  projectGraph,
  type ProjectionInput,
  shortRevision,
} from '../../../renderer/features/graph/projection.ts';
import { nodeIdOf } from '../../../renderer/store/ids.ts';
import { byUid, deployRef, fluxObject, gitRef, workload } from './fixtures.ts';

function input(over: Partial<ProjectionInput>): ProjectionInput {
  return {
    objects: {},
    workloads: {},
    scope: 'all',
    search: '',
    statusFilter: 'all',
    collapsed: {},
    showAllKinds: false,
    busy: new Set(),
    ...over,
  };
}

const repo = fluxObject('GitRepository', 'podinfo', {
  revision: { artifact: 'main@sha1:0a1b2c3d4e5f60718293a4b5c6d7e8f901234567' },
});
const app = fluxObject('Kustomization', 'podinfo', {
  sourceRef: gitRef('podinfo'),
  inventory: [
    deployRef('podinfo'),
    { group: '', kind: 'Service', namespace: 'apps', name: 'podinfo' },
    { group: '', kind: 'ConfigMap', namespace: 'apps', name: 'cfg' },
  ],
  revision: { lastApplied: 'main@sha1:0a1b2c3d4e5f60718293a4b5c6d7e8f901234567' },
});
const web = workload('podinfo', 'Current', { replicas: { desired: 2, ready: 2 } });

const id = (o: { cluster?: string; group: string; kind: string; namespace: string; name: string }): string =>
  nodeIdOf({ cluster: o.cluster ?? 'prod', ...o });

describe('the graph projection', () => {
  it('draws GitRepository → Kustomization → Deployment with the health of each', () => {
    const p = projectGraph(input({ objects: byUid(repo, app), workloads: byUid(web) }));
    const deploy = p.nodes.find((n) => n.kind === 'Deployment');
    expect(p.nodes.map((n) => [n.role, n.kind, n.status])).toEqual([
      ['source', 'GitRepository', 'ready'],
      ['flux', 'Kustomization', 'ready'],
      ['leaf', 'Deployment', 'ready'],
      ['more', 'Objects', 'unknown'],
    ]);
    expect(deploy).toMatchObject({ detail: '2/2 ready', owner: id(app) });
    expect(p.edges.map((e) => [e.role, e.source, e.target])).toEqual(
      expect.arrayContaining([
        ['source', id(repo), id(app)],
        ['inventory', id(app), id({ ...deployRef('podinfo') })],
      ]),
    );
  });

  it('folds inventory kinds that are not workloads into one summary node, unless asked for all', () => {
    const folded = projectGraph(input({ objects: byUid(repo, app), workloads: byUid(web) }));
    expect(folded.nodes.find((n) => n.role === 'more')).toMatchObject({
      name: '2 more objects',
      detail: '1 ConfigMap · 1 Service',
    });
    const all = projectGraph(input({ objects: byUid(repo, app), workloads: byUid(web), showAllKinds: true }));
    expect(
      all.nodes
        .filter((n) => n.role === 'leaf')
        .map((n) => n.kind)
        .sort(),
    ).toEqual(['ConfigMap', 'Deployment', 'Service']);
    expect(all.nodes.some((n) => n.role === 'more')).toBe(false);
  });

  it('shows the short revision, and the reason instead when the object failed', () => {
    const p = projectGraph(input({ objects: byUid(repo, app) }));
    expect(p.nodes.find((n) => n.kind === 'GitRepository')?.detail).toBe('main@0a1b2c3');
    const failing = fluxObject('Kustomization', 'podinfo', {
      ...app,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'HealthCheckFailed',
          message: 'timeout waiting for Deployment/apps/podinfo',
        },
      ],
    });
    const q = projectGraph(input({ objects: byUid(repo, failing) }));
    expect(q.nodes.find((n) => n.kind === 'Kustomization')).toMatchObject({
      status: 'failed',
      detail: 'HealthCheckFailed',
      message: 'timeout waiting for Deployment/apps/podinfo',
    });
  });

  it('maps kstatus health onto node status, and an inventory entry nobody reported as unknown', () => {
    const failed = workload('podinfo', 'Failed');
    expect(
      projectGraph(input({ objects: byUid(repo, app), workloads: byUid(failed) })).nodes.find(
        (n) => n.kind === 'Deployment',
      )?.status,
    ).toBe('failed');
    expect(projectGraph(input({ objects: byUid(repo, app) })).nodes.find((n) => n.kind === 'Deployment')?.status).toBe(
      'unknown',
    );
    const gone = workload('podinfo', 'NotFound');
    expect(
      projectGraph(input({ objects: byUid(repo, app), workloads: byUid(gone) })).nodes.find(
        (n) => n.kind === 'Deployment',
      )?.status,
    ).toBe('missing');
  });

  it('shows a source that does not exist as a missing node instead of hiding the reference', () => {
    const p = projectGraph(input({ objects: byUid(app) }));
    expect(p.nodes.find((n) => n.kind === 'GitRepository')).toMatchObject({ status: 'missing', detail: 'not found' });
  });

  it('draws dependsOn between Kustomizations, and nested Kustomizations from their parent’s inventory', () => {
    const infra = fluxObject('Kustomization', 'infra', { sourceRef: gitRef('podinfo') });
    const apps = fluxObject('Kustomization', 'apps', {
      sourceRef: gitRef('podinfo'),
      dependsOn: [{ namespace: '', name: 'infra' }],
    });
    const root = fluxObject('Kustomization', 'root', {
      sourceRef: gitRef('podinfo'),
      inventory: [
        { group: 'kustomize.toolkit.fluxcd.io', kind: 'Kustomization', namespace: 'flux-system', name: 'infra' },
        { group: 'kustomize.toolkit.fluxcd.io', kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
      ],
    });
    const p = projectGraph(input({ objects: byUid(repo, infra, apps, root) }));
    expect(p.edges.filter((e) => e.role === 'depends').map((e) => [e.source, e.target])).toEqual([
      [id(infra), id(apps)],
    ]);
    expect(
      p.edges
        .filter((e) => e.role === 'inventory')
        .map((e) => e.target)
        .sort(),
    ).toEqual([id(apps), id(infra)].sort());
    expect(p.nodes.filter((n) => n.role === 'leaf')).toEqual([]);
  });

  it('hides a collapsed object’s workloads but still counts them', () => {
    const p = projectGraph(input({ objects: byUid(repo, app), workloads: byUid(web), collapsed: { [id(app)]: true } }));
    expect(p.nodes.map((n) => n.kind)).toEqual(['GitRepository', 'Kustomization']);
    expect(p.nodes.find((n) => n.kind === 'Kustomization')).toMatchObject({ collapsed: true, childCount: 3 });
  });

  it('shows one cluster or all of them', () => {
    const devRepo = fluxObject('GitRepository', 'podinfo', { cluster: 'dev', uid: 'dev-repo' });
    const all = projectGraph(input({ objects: byUid(repo, devRepo) }));
    expect(all.nodes.map((n) => n.cluster)).toEqual(['dev', 'prod']);
    const one = projectGraph(input({ objects: byUid(repo, devRepo), scope: 'dev' }));
    expect(one.nodes.map((n) => n.cluster)).toEqual(['dev']);
  });

  it('keeps a search match’s sources and parents as context, and its own inventory', () => {
    const other = fluxObject('Kustomization', 'unrelated', { sourceRef: gitRef('podinfo') });
    const p = projectGraph(
      input({ objects: byUid(repo, app, other), workloads: byUid(web), search: 'kind:kust podinfo' }),
    );
    expect(p.matched).toBe(1);
    expect(p.nodes.map((n) => [n.kind, n.name, n.match])).toEqual([
      ['GitRepository', 'podinfo', false],
      ['Kustomization', 'podinfo', true],
      ['Deployment', 'podinfo', false],
      ['Objects', '2 more objects', false],
    ]);
  });

  it('filters by status: failing objects with their upstream, nothing else', () => {
    const bad = workload('podinfo', 'Failed');
    const healthy = fluxObject('Kustomization', 'fine', { sourceRef: gitRef('podinfo') });
    const p = projectGraph(
      input({ objects: byUid(repo, app, healthy), workloads: byUid(bad), statusFilter: 'failing' }),
    );
    expect(p.nodes.map((n) => n.name)).toEqual(['podinfo', 'podinfo', 'podinfo']);
    expect(p.nodes.find((n) => n.kind === 'Deployment')?.match).toBe(true);
    expect(p.nodes.filter((n) => n.match)).toHaveLength(1);
  });

  it('marks nodes with an action in flight as reconciling', () => {
    const p = projectGraph(input({ objects: byUid(repo, app), busy: new Set([id(app)]) }));
    expect(p.nodes.find((n) => n.kind === 'Kustomization')?.reconciling).toBe(true);
    expect(p.nodes.find((n) => n.kind === 'GitRepository')?.reconciling).toBe(false);
  });

  it('gives the same output for the same input, whatever the order objects arrived in', () => {
    const a = projectGraph(input({ objects: byUid(repo, app), workloads: byUid(web) }));
    const b = projectGraph(input({ objects: byUid(app, repo), workloads: byUid(web) }));
    expect(b).toEqual(a);
  });

  it('shortens revisions the way Flux writes them', () => {
    expect(shortRevision('main@sha1:0a1b2c3d4e5f60718293a4b5c6d7e8f901234567')).toBe('main@0a1b2c3');
    expect(shortRevision('sha256:abcdef0123456789abcdef')).toBe('sha256:abcdef0');
    expect(shortRevision('6.5.0@sha256:abcdef0123')).toBe('6.5.0@abcdef0');
    expect(shortRevision(undefined)).toBe('');
  });

  describe('HelmRelease children', () => {
    const helmRepo = fluxObject('HelmRepository', 'charts');
    const chart = fluxObject('HelmChart', 'flux-system-podinfo', {
      sourceRef: {
        group: 'source.toolkit.fluxcd.io',
        kind: 'HelmRepository',
        namespace: 'flux-system',
        name: 'charts',
      },
    });
    const hr = fluxObject('HelmRelease', 'podinfo', {
      sourceRef: { group: 'source.toolkit.fluxcd.io', kind: 'HelmChart', namespace: 'flux-system', name: chart.name },
      revision: { lastAttempted: '6.7.0' },
    });
    const origin = { helmRelease: { namespace: 'flux-system', name: 'podinfo' } };
    const made = workload('podinfo-web', 'Current', { ...origin, replicas: { desired: 1, ready: 1 } });
    const job = workload('podinfo-migrate', 'InProgress', { ...origin, kind: 'Job', group: 'batch' });
    const other = workload('unrelated', 'Current', { helmRelease: { namespace: 'flux-system', name: 'other' } });
    const elsewhere = workload('podinfo-web', 'Current', { ...origin, cluster: 'staging' });

    it('draws HelmRepository → HelmChart → HelmRelease → the workloads its release made', () => {
      const p = projectGraph(
        input({ objects: byUid(helmRepo, chart, hr), workloads: byUid(made, job, other, elsewhere) }),
      );
      const hrNode = p.nodes.find((n) => n.kind === 'HelmRelease');
      expect(hrNode).toMatchObject({ childCount: 2, detail: '6.7.0' });
      expect(p.edges.map((e) => [e.role, e.source, e.target])).toEqual(
        expect.arrayContaining([
          ['source', id(helmRepo), id(chart)],
          ['source', id(chart), id(hr)],
          ['inventory', id(hr), id(made)],
          ['inventory', id(hr), id(job)],
        ]),
      );
      // Only the release's own workloads, in its own cluster, hang off it.
      expect(p.edges.filter((e) => e.source === id(hr)).map((e) => e.target)).toHaveLength(2);
      expect(p.nodes.find((n) => n.name === 'podinfo-web' && n.cluster === 'prod')).toMatchObject({
        role: 'leaf',
        owner: id(hr),
        status: 'ready',
        detail: '1/1 ready',
      });
      expect(p.nodes.find((n) => n.name === 'unrelated')).toBeUndefined();
    });

    it('folds the release’s workloads when the HelmRelease is collapsed, and keeps them with it when filtered', () => {
      const folded = projectGraph(
        input({ objects: byUid(helmRepo, chart, hr), workloads: byUid(made, job), collapsed: { [id(hr)]: true } }),
      );
      expect(folded.nodes.map((n) => n.kind)).toEqual(['HelmChart', 'HelmRepository', 'HelmRelease']);
      expect(folded.nodes.find((n) => n.kind === 'HelmRelease')?.childCount).toBe(2);
      const filtered = projectGraph(
        input({ objects: byUid(helmRepo, chart, hr), workloads: byUid(made, job), search: 'kind:HelmRelease' }),
      );
      expect(filtered.nodes.map((n) => n.name).sort()).toEqual(
        ['charts', 'flux-system-podinfo', 'podinfo', 'podinfo-migrate', 'podinfo-web'].sort(),
      );
    });
  });

  describe('image automation', () => {
    const img = 'image.toolkit.fluxcd.io';
    const imageRepo = fluxObject('ImageRepository', 'podinfo', { group: img });
    const policy = fluxObject('ImagePolicy', 'podinfo', {
      group: img,
      sourceRef: { group: img, kind: 'ImageRepository', namespace: 'flux-system', name: 'podinfo' },
    });
    const automation = fluxObject('ImageUpdateAutomation', 'podinfo', { group: img, sourceRef: gitRef('podinfo') });

    it('runs ImageRepository → ImagePolicy → ImageUpdateAutomation → GitRepository → Kustomization', () => {
      const p = projectGraph(
        input({ objects: byUid(repo, app, imageRepo, policy, automation), workloads: byUid(web) }),
      );
      const edges = p.edges.filter((e) => e.role === 'source').map((e) => [e.source, e.target]);
      expect(edges).toEqual(
        expect.arrayContaining([
          [id(imageRepo), id(policy)],
          [id(policy), id(automation)],
          [id(automation), id(repo)],
          [id(repo), id(app)],
        ]),
      );
      // The loop is closed without a cycle: nothing points back at the automation from its GitRepository.
      expect(edges).not.toContainEqual([id(repo), id(automation)]);
    });

    it('links the ImagePolicies its policySelector selects before any run (all of its namespace without one)', () => {
      const labelled = (name: string, labels: Record<string, string>, namespace = 'flux-system') =>
        fluxObject('ImagePolicy', name, { group: img, namespace, uid: `p-${namespace}-${name}`, labels });
      const web = labelled('web', { team: 'web', channel: 'stable' });
      const canary = labelled('web-canary', { team: 'web', channel: 'canary' });
      const api = labelled('api', { team: 'api' });
      const elsewhere = labelled('web', { team: 'web' }, 'other');
      const policies = [web, canary, api, elsewhere];
      const linked = (policySelector?: FluxObject['policySelector']): string[] => {
        const a = fluxObject('ImageUpdateAutomation', 'podinfo', {
          group: img,
          sourceRef: gitRef('podinfo'),
          ...(policySelector && { policySelector }),
        });
        const p = projectGraph(input({ objects: byUid(repo, a, ...policies) }));
        return p.edges.filter((e) => e.target === id(a)).map((e) => e.source);
      };
      // No selector: every ImagePolicy of the automation's namespace, none of another namespace.
      expect(linked()).toEqual([id(api), id(web), id(canary)]);
      expect(linked({ matchLabels: { team: 'web' } })).toEqual([id(web), id(canary)]);
      expect(
        linked({
          matchLabels: { team: 'web' },
          matchExpressions: [{ key: 'channel', operator: 'NotIn', values: ['canary'] }],
        }),
      ).toEqual([id(web)]);
      expect(automationPolicies(fluxObject('ImageUpdateAutomation', 'x', { group: img }), policies)).toEqual(
        [id(api), id(web), id(canary)].sort(),
      );
      // A selector Kubernetes refuses selects nothing (the automation stalls on it; no edge pretends otherwise).
      expect(linked({ matchExpressions: [{ key: 'team', operator: 'Equals', values: ['web'] }] })).toEqual([]);
    });

    it('keeps the image chain upstream of a Kustomization found by search', () => {
      const p = projectGraph(
        input({ objects: byUid(repo, app, imageRepo, policy, automation), search: 'kind:Kustomization' }),
      );
      expect(
        p.nodes
          .filter((n) => n.role !== 'leaf' && n.role !== 'more')
          .map((n) => n.kind)
          .sort(),
      ).toEqual(['GitRepository', 'ImagePolicy', 'ImageRepository', 'ImageUpdateAutomation', 'Kustomization'].sort());
    });
  });
});

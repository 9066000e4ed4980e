import { describe, expect, it } from 'vitest';

import type { FluxObject, WorkTree } from '../../../main/contract/index.ts';
import {
  affectedKustomizations,
  applyArtifactProgress,
  applyPreviewProgress,
  closeTab,
  defaultArtifactDir,
  dirtyTabs,
  fileTabId,
  flowAfterCommit,
  flowAfterPush,
  flowAfterReapply,
  formatProblem,
  ociRepositoriesAt,
  ociRepositoryOf,
  openTab,
  updateTab,
  workTreeDirs,
} from '../../../renderer/store/editor-reducers.ts';
import type { ArtifactPushState, EditorTab, ReviewState } from '../../../renderer/store/slices/editor.ts';

const tab = (path: string, over: Partial<EditorTab> = {}): EditorTab => ({
  id: fileTabId('wt-1', path),
  kind: 'file',
  title: path.split('/').pop() ?? path,
  detail: path,
  workTreeId: 'wt-1',
  path,
  dirty: false,
  errors: 0,
  state: 'ready',
  ...over,
});

const ks = (cluster: string, name: string, path: string): WorkTree['kustomizations'][number] => ({
  key: { cluster, kind: 'Kustomization', namespace: 'flux-system', name },
  path,
  source: { cluster, kind: 'GitRepository', namespace: 'flux-system', name: 'flux-system' },
});

const tree: WorkTree = {
  id: 'wt-1',
  repo: { cluster: 'prod', kind: 'GitRepository', namespace: 'flux-system', name: 'flux-system' },
  url: 'https://git.example.com/fleet.git',
  branch: 'main',
  files: [],
  status: { branch: 'main', head: 'a', remoteHead: 'a', ahead: 0, changes: [] },
  update: 'up-to-date',
  credentials: 'secret',
  credentialStorage: 'memory',
  kustomizations: [
    ks('staging', 'apps', './apps/staging'),
    ks('prod', 'apps', './apps/prod'),
    ks('prod', 'infra', './infra'),
  ],
};

describe('editor tabs', () => {
  it('opens a tab once, and closing the active one activates its neighbour', () => {
    let tabs = openTab([], tab('a.yaml'));
    tabs = openTab(tabs, tab('b.yaml'));
    const same = openTab(tabs, tab('a.yaml'));
    expect(same).toBe(tabs);
    tabs = openTab(tabs, tab('c.yaml'));
    expect(closeTab({ tabs, activeTab: tabs[1]?.id }, tabs[1]?.id ?? '').activeTab).toBe(tabs[2]?.id);
    expect(closeTab({ tabs, activeTab: tabs[2]?.id }, tabs[2]?.id ?? '').activeTab).toBe(tabs[1]?.id);
    expect(closeTab({ tabs, activeTab: tabs[0]?.id }, tabs[2]?.id ?? '').activeTab).toBe(tabs[0]?.id);
    expect(
      closeTab({ tabs: [tab('a.yaml')], activeTab: fileTabId('wt-1', 'a.yaml') }, fileTabId('wt-1', 'a.yaml')),
    ).toEqual({
      tabs: [],
      activeTab: undefined,
    });
  });

  it('changes one tab, and hands back the same list when nothing changed', () => {
    const tabs = [tab('a.yaml'), tab('b.yaml')];
    expect(updateTab(tabs, tabs[0]?.id ?? '', { dirty: false })).toBe(tabs);
    expect(updateTab(tabs, 'nope', { dirty: true })).toBe(tabs);
    const next = updateTab(tabs, tabs[0]?.id ?? '', { dirty: true, errors: 2 });
    expect(next[0]).toMatchObject({ dirty: true, errors: 2 });
    expect(next[1]).toBe(tabs[1]);
  });

  it('finds the unsaved files of one work tree only', () => {
    const tabs = [
      tab('a.yaml', { dirty: true }),
      tab('b.yaml'),
      tab('c.yaml', { dirty: true, workTreeId: 'wt-2', id: fileTabId('wt-2', 'c.yaml') }),
      { ...tab('obj'), kind: 'object' as const, id: 'object:x', dirty: true },
    ];
    expect(dirtyTabs(tabs, 'wt-1').map((t) => t.path)).toEqual(['a.yaml']);
  });
});

describe('after committing and pushing', () => {
  it('reconciles the Kustomizations whose path holds a committed file, the repository’s own cluster first', () => {
    expect(
      affectedKustomizations(tree, ['apps/prod/web.yaml', 'apps/staging/web.yaml']).map(
        (k) => `${k.cluster}/${k.name}`,
      ),
    ).toEqual(['prod/apps', 'staging/apps']);
    expect(affectedKustomizations(tree, ['README.md'])).toEqual([]);
  });

  it('goes on to push after a commit, and stops with the locations when the YAML is invalid', () => {
    expect(flowAfterCommit({ status: 'committed', commit: 'abc', files: [] })).toBe('push');
    const problems = [
      { path: 'apps/web.yaml', line: 3, column: 5, message: 'Implicit map keys need to be followed by map values' },
    ];
    expect(flowAfterCommit({ status: 'invalid', problems })).toEqual({ step: 'invalid', problems });
    expect(flowAfterCommit({ status: 'nothing-to-commit' })).toEqual({ step: 'nothing' });
    expect(formatProblem(problems[0]!)).toBe('apps/web.yaml:3:5: Implicit map keys need to be followed by map values');
  });

  it('offers fetch-and-reapply when the server moved, keeps the commit when refused, reconciles when pushed', () => {
    const keys = [ks('prod', 'apps', './apps').key];
    expect(flowAfterPush({ status: 'pushed', commit: 'abc' }, keys)).toEqual({
      step: 'pushed',
      commit: 'abc',
      reconciles: [{ key: keys[0] }],
    });
    expect(flowAfterPush({ status: 'remote-moved', commit: 'abc', message: 'fetch first' }, keys)).toMatchObject({
      step: 'remote-moved',
    });
    expect(flowAfterPush({ status: 'rejected', commit: 'abc', reason: 'hook', message: 'protected' }, keys)).toEqual({
      step: 'rejected',
      commit: 'abc',
      reason: 'hook',
      message: 'protected',
    });
    expect(flowAfterReapply({ status: 'reapplied', head: 'b', onto: 'c', commits: 1, overwritten: [] })).toBe('push');
    expect(flowAfterReapply({ status: 'conflict', head: 'b', onto: 'c', files: ['a.yaml'], message: 'm' })).toEqual({
      step: 'conflict',
      files: ['a.yaml'],
      message: 'm',
    });
  });
});

describe('preview progress', () => {
  const review = (previewId: string, status: 'running' | 'ready' = 'running'): ReviewState => ({
    workTreeId: 'wt-1',
    draft: { message: '', name: '', email: '' },
    commit: { step: 'edit' },
    preview: { previewId, status },
  });
  const p = { previewId: 'p-1', message: 'Building Kustomization flux-system/apps', done: 0, total: 2 };

  it('applies to the running preview of that id only', () => {
    expect(applyPreviewProgress(review('p-1'), p)?.preview?.progress).toEqual(p);
    const other = review('p-2');
    expect(applyPreviewProgress(other, p)).toBe(other);
    const done = review('p-1', 'ready');
    expect(applyPreviewProgress(done, p)).toBe(done);
    expect(applyPreviewProgress(undefined, p)).toBeUndefined();
  });
});

describe('pushing a work tree directory as an OCI artifact', () => {
  const withFiles = { ...tree, files: ['apps/prod/kustomization.yaml', 'apps/prod/web/deploy.yaml', 'README.md'] };

  it('offers every directory that holds a file, the whole tree first', () => {
    expect(workTreeDirs(withFiles)).toEqual(['.', 'apps', 'apps/prod', 'apps/prod/web']);
  });

  it('starts at the first Kustomization path that exists in the tree, else at the whole tree', () => {
    expect(defaultArtifactDir(withFiles)).toBe('apps/prod');
    expect(defaultArtifactDir({ ...withFiles, kustomizations: [] })).toBe('.');
  });

  it('compares OCI URLs by repository, whatever tag or digest they name', () => {
    expect(ociRepositoryOf('oci://localhost:5000/fleet/web:v1.2')).toBe('oci://localhost:5000/fleet/web');
    expect(ociRepositoryOf('oci://localhost:5000/fleet/web')).toBe('oci://localhost:5000/fleet/web');
    expect(ociRepositoryOf(`oci://ghcr.io/org/web@sha256:${'a'.repeat(64)}`)).toBe('oci://ghcr.io/org/web');
  });

  it('finds the OCIRepositories that follow a pushed repository, in any cluster', () => {
    const repo = (cluster: string, name: string, url: string): FluxObject =>
      ({ cluster, kind: 'OCIRepository', namespace: 'flux-system', name, url }) as FluxObject;
    const objects = {
      a: repo('prod', 'web', 'oci://ghcr.io/org/web'),
      b: repo('staging', 'web', 'oci://ghcr.io/org/web'),
      c: repo('prod', 'api', 'oci://ghcr.io/org/api'),
    };
    expect(ociRepositoriesAt(objects, 'oci://ghcr.io/org/web').map(([id]) => id)).toEqual(['a', 'b']);
  });

  it('applies progress only to the push that is running with that id', () => {
    const push: ArtifactPushState = {
      workTreeId: 'wt-1',
      dir: '.',
      url: 'oci://r/x:v1',
      insecure: false,
      status: 'running',
      pushId: 'push-0001',
    };
    const step = { pushId: 'push-0001', message: 'packing', done: 0, total: 3 };
    expect(applyArtifactProgress(push, step)?.progress).toEqual(step);
    expect(applyArtifactProgress(push, { ...step, pushId: 'push-0002' })).toBe(push);
    expect(applyArtifactProgress({ ...push, status: 'pushed' }, step)?.progress).toBeUndefined();
  });
});

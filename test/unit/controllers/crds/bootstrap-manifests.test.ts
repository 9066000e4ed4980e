import { describe, expect, it } from 'vitest';

import {
  bootstrapFiles,
  keepExistingKustomization,
  syncPath,
} from '../../../../main/controllers/crds/bootstrap-manifests.ts';

describe('bootstrap manifests', () => {
  it('writes the flux-system directory as flux bootstrap does', () => {
    const files = bootstrapFiles({
      url: 'https://git.example.com/fleet.git',
      branch: 'main',
      path: 'clusters/prod/',
      namespace: 'flux-system',
      secretName: 'flux-system',
    });
    expect(Object.keys(files)).toEqual([
      'clusters/prod/flux-system/gotk-sync.yaml',
      'clusters/prod/flux-system/kustomization.yaml',
    ]);
    const sync = files['clusters/prod/flux-system/gotk-sync.yaml'];
    expect(sync).toContain(
      'kind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    branch: main\n  secretRef:\n    name: flux-system\n  url: https://git.example.com/fleet.git\n',
    );
    expect(sync).toContain('  interval: 10m0s\n  path: ./clusters/prod\n  prune: true\n');
    expect(files['clusters/prod/flux-system/kustomization.yaml']).toBe(
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-sync.yaml\n',
    );
  });

  it('leaves out the secretRef for an anonymous repository', () => {
    const files = bootstrapFiles({ url: 'http://h/r.git', branch: 'b', path: 'c', namespace: 'n' });
    expect(files['c/flux-system/gotk-sync.yaml']).not.toContain('secretRef');
  });

  it.each(['', '/', '../x', 'clusters/../../x'])('refuses the path %j', (p) => {
    expect(() => syncPath(p)).toThrow(/--path/);
  });

  it('keeps a previous kustomization.yaml that lists the sync manifests (and the components of an in-cluster one)', () => {
    expect(keepExistingKustomization('resources:\n- gotk-components.yaml\n- gotk-sync.yaml\n')).toBe(true);
    expect(keepExistingKustomization('resources:\n- other.yaml\n')).toBe(false);
    expect(keepExistingKustomization(undefined)).toBe(false);
  });
});

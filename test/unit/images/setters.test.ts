import { describe, expect, it } from 'vitest';

import { applySetters, parseMarker, type PolicyRef, YamlSyntaxError } from '../../../main/images/setters.ts';

const policies = new Map<string, PolicyRef>([
  ['flux-system:podinfo', { name: 'ghcr.io/stefanprodan/podinfo', tag: '6.5.1' }],
  ['flux-system:pinned', { name: 'ghcr.io/org/app', tag: '1.10', digest: `sha256:${'a'.repeat(64)}` }],
]);

describe('applySetters', () => {
  it('edits only the marked scalars, keeping every other byte', () => {
    const text = [
      '# A deployment, hand written',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: podinfo   # keep me',
      '  namespace: apps',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: app',
      '          image: ghcr.io/stefanprodan/podinfo:6.0.0 # {"$imagepolicy": "flux-system:podinfo"}',
      '          args: [\'--port\',   "9898"]',
      '',
    ].join('\n');
    const out = applySetters(text, policies);
    expect(out.text).toBe(text.replace('podinfo:6.0.0 #', 'podinfo:6.5.1 #'));
    expect(out.changes).toEqual([
      {
        object: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo', namespace: 'apps' },
        change: {
          oldValue: 'ghcr.io/stefanprodan/podinfo:6.0.0',
          newValue: 'ghcr.io/stefanprodan/podinfo:6.5.1',
          setter: 'flux-system:podinfo',
        },
        line: 12,
      },
    ]);
  });

  it('updates kustomization images, HelmRelease values and custom resources with :name, :tag and :digest', () => {
    const text = [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'images:',
      '  - name: podinfo',
      '    newName: old/name # {"$imagepolicy": "flux-system:podinfo:name"}',
      '    newTag: "6.0.0" # {"$imagepolicy": "flux-system:podinfo:tag"}',
      '---',
      'apiVersion: helm.toolkit.fluxcd.io/v2',
      'kind: HelmRelease',
      'metadata: {name: app}',
      'spec:',
      '  values:',
      '    image:',
      '      tag: \'1.9\' # {"$imagepolicy": "flux-system:pinned:tag"}',
      '      plain: 1.9 # {"$imagepolicy": "flux-system:pinned:tag"}',
      '      digest: none # {"$imagepolicy": "flux-system:pinned:digest"}',
      '      full: x # {"$imagepolicy": "flux-system:pinned"}',
      '',
    ].join('\n');
    const out = applySetters(text, policies);
    const lines = out.text.split('\n');
    expect(lines[4]).toBe('    newName: ghcr.io/stefanprodan/podinfo # {"$imagepolicy": "flux-system:podinfo:name"}');
    expect(lines[5]).toBe('    newTag: "6.5.1" # {"$imagepolicy": "flux-system:podinfo:tag"}');
    expect(lines[13]).toBe('      tag: \'1.10\' # {"$imagepolicy": "flux-system:pinned:tag"}');
    // A plain 1.10 would read as a number: quoted so the field stays a string.
    expect(lines[14]).toBe('      plain: "1.10" # {"$imagepolicy": "flux-system:pinned:tag"}');
    expect(lines[15]).toBe(`      digest: sha256:${'a'.repeat(64)} # {"$imagepolicy": "flux-system:pinned:digest"}`);
    expect(lines[16]).toBe(
      `      full: ghcr.io/org/app:1.10@sha256:${'a'.repeat(64)} # {"$imagepolicy": "flux-system:pinned"}`,
    );
    expect(out.changes.map((c) => c.object.kind)).toEqual([
      'Kustomization',
      'Kustomization',
      'HelmRelease',
      'HelmRelease',
      'HelmRelease',
      'HelmRelease',
    ]);
  });

  it('leaves unknown policies, current values and non-marker comments alone, saying why', () => {
    const text =
      'a: x:1 # {"$imagepolicy": "flux-system:missing"}\nb: ghcr.io/stefanprodan/podinfo:6.5.1 # {"$imagepolicy": "flux-system:podinfo"}\nc: d # just a comment\n';
    const out = applySetters(text, policies);
    expect(out.text).toBe(text);
    expect(out.changes).toEqual([]);
    expect(out.notes).toEqual([
      { line: 1, message: "marker names ImagePolicy 'flux-system:missing', which this automation does not select" },
    ]);
  });

  it('leaves a marker of a selected policy without an image yet alone, without a note (its first scan is pending)', () => {
    const text = 'image: ghcr.io/org/new:0.1.0 # {"$imagepolicy": "flux-system:new"}\n';
    const out = applySetters(text, new Map([...policies, ['flux-system:new', undefined]]));
    expect(out).toEqual({ text, changes: [], notes: [] });
  });

  it('refuses a file that is not YAML', () => {
    expect(() => applySetters('a: [\nb: c # {"$imagepolicy": "flux-system:podinfo"}\n', policies)).toThrow(
      YamlSyntaxError,
    );
  });

  it('parses markers as Flux writes them', () => {
    expect(parseMarker(' # {"$imagepolicy": "ns:p:tag"}')).toEqual({
      policy: 'ns:p',
      field: 'tag',
      setter: 'ns:p:tag',
    });
    expect(parseMarker(' #{"$imagepolicy":"ns:p"}')).toEqual({ policy: 'ns:p', field: 'image', setter: 'ns:p' });
    expect(parseMarker(' # {"$imagepolicy": "ns:p:other"}')).toBeUndefined();
    expect(parseMarker(' # imagepolicy ns:p')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';

import type { CustomResourceDefinition } from '../../../../main/controllers/crds/crd-manifests.ts';
import { compatibilityWarning, crdOwner, sameDefinition } from '../../../../main/controllers/crds/install-flux-crds.ts';

function crd(labels: Record<string, string>, versions: [string, boolean][] = [['v1', true]]): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'kustomizations.kustomize.toolkit.fluxcd.io', labels },
    spec: {
      group: 'kustomize.toolkit.fluxcd.io',
      names: { kind: 'Kustomization', plural: 'kustomizations' },
      scope: 'Namespaced',
      versions: versions.map(([name, served], i) => ({ name, served, storage: i === 0 })),
    },
  };
}

describe('crdOwner', () => {
  it.each([
    [{ 'app.kubernetes.io/managed-by': 'fluxdeck', 'app.kubernetes.io/part-of': 'fluxdeck' }, 'fluxdeck'],
    [{ 'app.kubernetes.io/part-of': 'flux', 'app.kubernetes.io/component': 'kustomize-controller' }, 'flux'],
    // `flux install` applied over ours: Flux's part-of wins, Fluxdeck must not take it back.
    [{ 'app.kubernetes.io/managed-by': 'fluxdeck', 'app.kubernetes.io/part-of': 'flux' }, 'flux'],
    [{}, 'other'],
    [{ 'app.kubernetes.io/managed-by': 'Helm' }, 'other'],
  ])('%o → %s', (labels, owner) => {
    expect(crdOwner(crd(labels))).toBe(owner);
  });
});

describe('compatibilityWarning', () => {
  it('is quiet when the existing CRD serves the version Fluxdeck uses', () => {
    expect(
      compatibilityWarning(
        crd({}, [
          ['v1', true],
          ['v1beta2', true],
        ]),
        'v1',
      ),
    ).toBeUndefined();
  });

  it('names what an old Flux serves', () => {
    expect(
      compatibilityWarning(
        crd({}, [
          ['v1beta2', true],
          ['v1', false],
        ]),
        'v1',
      ),
    ).toBe('serves v1beta2 but not v1, which Fluxdeck uses: upgrade the Flux installation that owns it');
  });
});

describe('sameDefinition', () => {
  const a = crd({ x: '1' });

  it('ignores key order and status', () => {
    const b = structuredClone(a);
    b.spec = { versions: b.spec.versions, scope: b.spec.scope, names: b.spec.names, group: b.spec.group };
    b.status = { storedVersions: ['v1'] };
    b.metadata.resourceVersion = '42';
    expect(sameDefinition(a, b)).toBe(true);
  });

  it.each<[string, (c: CustomResourceDefinition) => void]>([
    ['a spec change', (c) => (c.spec.names.shortNames = ['ks'])],
    ['a label change', (c) => (c.metadata.labels = { x: '2' })],
    ['an annotation', (c) => (c.metadata.annotations = { y: '1' })],
  ])('sees %s', (_what, change) => {
    const b = structuredClone(a);
    change(b);
    expect(sameDefinition(a, b)).toBe(false);
  });
});

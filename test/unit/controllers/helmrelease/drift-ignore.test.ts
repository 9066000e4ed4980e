import { describe, expect, it } from 'vitest';

import {
  differsOnlyAtIgnored,
  ignoredPointers,
  keepIgnoredFromLive,
  pointerTokens,
  withoutPointers,
} from '../../../../main/controllers/helmrelease/drift-ignore.ts';
import type { KubeObject } from '../../../../main/util/kube-object.ts';

const deployment = (replicas: number, image = 'nginx:1.27', labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'apps', labels },
  spec: { replicas, template: { spec: { containers: [{ name: 'web', image }] } } },
});

describe('driftDetection.ignore', () => {
  it('applies a rule to the objects its target selects (all without a target)', () => {
    const rules = [
      { paths: ['/spec/replicas'], target: { kind: 'Deployment' } },
      { paths: ['/metadata/labels/team'], target: { kind: 'Deploy.*', labelSelector: 'tier=web' } },
      { paths: ['/metadata/annotations'] },
    ];
    expect(ignoredPointers(rules, deployment(1))).toEqual(['/spec/replicas', '/metadata/annotations']);
    expect(ignoredPointers(rules, deployment(1, 'x', { tier: 'web' }))).toEqual([
      '/spec/replicas',
      '/metadata/labels/team',
      '/metadata/annotations',
    ]);
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    expect(ignoredPointers(rules, cm)).toEqual(['/metadata/annotations']);
  });

  it('reads JSON Pointers as RFC 6901 does (~1 is /, ~0 is ~)', () => {
    expect(pointerTokens('/metadata/annotations/example.com~1owner')).toEqual([
      'metadata',
      'annotations',
      'example.com/owner',
    ]);
    expect(pointerTokens('/a~0b/0')).toEqual(['a~b', '0']);
    expect(() => pointerTokens('spec/replicas')).toThrow(/must start with '\/'/);
    expect(withoutPointers({ spec: { containers: [{ a: 1 }, { b: 2 }] } }, ['/spec/containers/0'])).toEqual({
      spec: { containers: [{ b: 2 }] },
    });
  });

  it('a difference only at ignored paths is no drift; any other difference still is', () => {
    expect(differsOnlyAtIgnored(deployment(5), deployment(1), ['/spec/replicas'])).toBe(true);
    expect(differsOnlyAtIgnored(deployment(5, 'nginx:1.28'), deployment(1), ['/spec/replicas'])).toBe(false);
    expect(differsOnlyAtIgnored(deployment(5), deployment(1), [])).toBe(false);
  });

  it('correcting drift keeps the cluster value at ignored paths and puts the rest back', () => {
    const fixed = keepIgnoredFromLive(deployment(1, 'nginx:1.27'), deployment(5, 'evil:latest'), ['/spec/replicas']);
    expect(fixed).toEqual(deployment(5, 'nginx:1.27'));
  });
});

import { describe, expect, it } from 'vitest';

import { FluxdeckError } from '../../../main/contract/index.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { editableForm, mergePatch, parseEdit, patchedFields } from '../../../main/workbench/flux-edit.ts';

const key = { cluster: 'prod', kind: 'Kustomization', namespace: 'flux-system', name: 'apps' } as const;
const API = 'kustomize.toolkit.fluxcd.io/v1';

const live: KubeObject = {
  apiVersion: API,
  kind: 'Kustomization',
  metadata: {
    name: 'apps',
    namespace: 'flux-system',
    uid: 'u-1',
    resourceVersion: '42',
    generation: 3,
    labels: { team: 'web' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{}}', note: 'x' },
    managedFields: [{ manager: 'kustomize-controller' }],
  },
  spec: { interval: '10m', path: './apps', prune: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } },
  status: { conditions: [] },
};

const expectRefused = (fn: () => unknown, message: RegExp): void => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FluxdeckError);
    expect((err as FluxdeckError).code).toBe('invalid-request');
    expect((err as Error).message).toMatch(message);
    return;
  }
  throw new Error('the edit was not refused');
};

describe('editing a Flux object in place', () => {
  it('shows what a person may change: no status, no server-set metadata, no kubectl last-applied copy', () => {
    const form = editableForm(live);
    expect(Object.keys(form)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(form.metadata).toEqual({
      name: 'apps',
      namespace: 'flux-system',
      labels: { team: 'web' },
      annotations: { note: 'x' },
    });
  });

  it('sends exactly what changed as a merge patch: removed keys become null, lists are replaced whole', () => {
    const form = editableForm(live);
    const edited = structuredClone(form) as {
      metadata: { labels?: Record<string, string> };
      spec: Record<string, unknown>;
    };
    edited.spec.interval = '5m';
    delete edited.spec.prune;
    edited.spec.dependsOn = [{ name: 'infra' }];
    delete edited.metadata.labels;
    const patch = mergePatch(form, edited);
    expect(patch).toEqual({
      metadata: { labels: null },
      spec: { interval: '5m', prune: null, dependsOn: [{ name: 'infra' }] },
    });
    expect(patchedFields(patch).sort()).toEqual(['metadata.labels', 'spec.dependsOn', 'spec.interval', 'spec.prune']);
    expect(mergePatch(form, structuredClone(form))).toBeUndefined();
  });

  it('parses the edit and keeps it the same object', () => {
    const yaml = `apiVersion: ${API}\nkind: Kustomization\nmetadata:\n  name: apps\nspec:\n  interval: 5m\n`;
    expect(parseEdit(key, API, yaml)).toEqual({
      apiVersion: API,
      kind: 'Kustomization',
      metadata: { name: 'apps', namespace: 'flux-system' },
      spec: { interval: '5m' },
    });
  });

  it('refuses invalid YAML with its line and column, and edits that make it another object or touch status', () => {
    expectRefused(
      () => parseEdit(key, API, `apiVersion: ${API}\nkind: Kustomization\nmetadata:\n  name: apps\nspec: a: b\n`),
      /line 5, column \d+/,
    );
    expectRefused(() => parseEdit(key, API, '- a\n- b\n'), /one YAML mapping/);
    expectRefused(
      () => parseEdit(key, API, `apiVersion: ${API}\nkind: HelmRelease\nmetadata: { name: apps }\n`),
      /kind/,
    );
    expectRefused(
      () => parseEdit(key, API, `apiVersion: ${API}\nkind: Kustomization\nmetadata: { name: web }\n`),
      /renames/,
    );
    expectRefused(
      () =>
        parseEdit(key, API, `apiVersion: ${API}\nkind: Kustomization\nmetadata: { name: apps, namespace: other }\n`),
      /namespace/,
    );
    expectRefused(
      () => parseEdit(key, API, `apiVersion: ${API}\nkind: Kustomization\nmetadata: { name: apps }\nstatus: {}\n`),
      /status/,
    );
    expectRefused(
      () => parseEdit(key, API, `apiVersion: ${API}\nkind: Kustomization\nmetadata: { name: apps, finalizers: [] }\n`),
      /metadata\.finalizers/,
    );
    expectRefused(
      () =>
        parseEdit(
          key,
          API,
          `apiVersion: kustomize.toolkit.fluxcd.io/v1beta2\nkind: Kustomization\nmetadata: { name: apps }\n`,
        ),
      /apiVersion/,
    );
  });
});

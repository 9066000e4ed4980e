import { describe, expect, it } from 'vitest';

import { deploymentState, kustomizationFor } from '../../../main/workbench/bootstrap-components.ts';
import { BootstrapInputError, bootstrapPlan } from '../../../main/workbench/index.ts';

// The bootstrap plan's mode and controllers' options, the flux-system kustomization.yaml per mode, and how a
// controller Deployment's readiness is read.

const base = { url: 'https://git.example.com/fleet.git', path: 'clusters/prod' };

describe('bootstrapPlan mode', () => {
  it('stays desktop-reconciled by default, without controllers', () => {
    const plan = bootstrapPlan(base);
    expect(plan.mode).toBe('desktop');
    expect(plan.components).toBeUndefined();
  });

  it('plans Flux’s default controllers for in-cluster, in the plan’s namespace', () => {
    const plan = bootstrapPlan({ ...base, mode: 'in-cluster', namespace: 'gitops' });
    expect(plan.mode).toBe('in-cluster');
    expect(plan.components).toMatchObject({
      version: 'v2.9.5',
      namespace: 'gitops',
      registry: 'ghcr.io/fluxcd',
      components: ['source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller'],
      networkPolicy: true,
    });
  });

  it('takes the controllers’ options', () => {
    const plan = bootstrapPlan({
      ...base,
      mode: 'in-cluster',
      components: {
        registry: 'mirror.local:5000/flux',
        imagePullSecret: 'regcred',
        componentsExtra: 'image-reflector-controller',
        networkPolicy: false,
      },
    });
    expect(plan.components).toMatchObject({
      registry: 'mirror.local:5000/flux',
      imagePullSecret: 'regcred',
      networkPolicy: false,
    });
    expect(plan.components?.components).toContain('image-reflector-controller');
  });

  it.each([
    [{ mode: 'cluster' }, /--mode cluster: use desktop .* or in-cluster/],
    [{ components: { registry: 'r.local/flux' } }, /\(registry\) apply to --mode in-cluster only/],
    [{ mode: 'in-cluster', components: { components: 'source-controller,kustomize-controller,flagger' } }, /flagger/],
    [{ mode: 'in-cluster', components: { registry: 'http://r.local/flux' } }, /--registry http:\/\/r\.local\/flux/],
    [{ mode: 'in-cluster', components: { version: 'v2.0.0' } }, /--version v2\.0\.0/],
  ])('refuses %j as bad input', (input, message) => {
    expect(() => bootstrapPlan({ ...base, ...input })).toThrow(BootstrapInputError);
    expect(() => bootstrapPlan({ ...base, ...input })).toThrow(message);
  });
});

describe('kustomizationFor', () => {
  const fresh = (files: string[]): string =>
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${files.map((f) => `- ${f}\n`).join('')}`;

  it('writes flux’s file for a new bootstrap', () => {
    expect(kustomizationFor(undefined, 'in-cluster')).toBe(fresh(['gotk-components.yaml', 'gotk-sync.yaml']));
    expect(kustomizationFor(undefined, 'desktop')).toBe(fresh(['gotk-sync.yaml']));
    expect(kustomizationFor('resources:\n- other.yaml\n', 'desktop')).toBe(fresh(['gotk-sync.yaml']));
  });

  it('returns the same bytes when the mode’s entries are there (a second run commits nothing)', () => {
    const mine =
      '# mine\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-components.yaml\n- gotk-sync.yaml\n- extra.yaml\n';
    expect(kustomizationFor(mine, 'in-cluster')).toBe(mine);
    const desktop = fresh(['gotk-sync.yaml', 'extra.yaml']);
    expect(kustomizationFor(desktop, 'desktop')).toBe(desktop);
  });

  it('adds or removes only the components entry, keeping the user’s entries and comments', () => {
    const desktop =
      '# mine\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- extra.yaml\n- gotk-sync.yaml\n';
    const inCluster = kustomizationFor(desktop, 'in-cluster');
    expect(inCluster).toBe(
      '# mine\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- extra.yaml\n- gotk-components.yaml\n- gotk-sync.yaml\n',
    );
    expect(kustomizationFor(inCluster, 'desktop')).toBe(desktop);
  });
});

describe('deploymentState', () => {
  const d = (generation: number, observed: number, available: string, replicas = 1, ready = 1) => ({
    metadata: { name: 'source-controller', generation },
    spec: { replicas },
    status: {
      observedGeneration: observed,
      availableReplicas: ready,
      conditions: [{ type: 'Available', status: available, message: 'Deployment does not have minimum availability.' }],
    },
  });

  it('is available only at its generation with its replicas available', () => {
    expect(deploymentState(d(2, 2, 'True'), 'source-controller')).toEqual({
      available: true,
      text: 'source-controller: available',
    });
    expect(deploymentState(d(3, 2, 'True'), 'source-controller').available).toBe(false);
    expect(deploymentState(d(2, 2, 'False'), 'source-controller')).toEqual({
      available: false,
      text: 'source-controller: Deployment does not have minimum availability.',
    });
    expect(deploymentState(d(2, 2, 'True', 2, 1), 'source-controller').available).toBe(false);
    expect(deploymentState(undefined, 'helm-controller')).toEqual({
      available: false,
      text: 'helm-controller: not found',
    });
  });
});

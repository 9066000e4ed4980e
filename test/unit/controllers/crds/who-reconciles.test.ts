import { describe, expect, it } from 'vitest';

import {
  chosenReconciler,
  leaseController,
  type LeaseLike,
  liveFluxLeases,
  whoReconciles,
} from '../../../../main/controllers/crds/who-reconciles.ts';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const ago = (s: number): string => new Date(NOW - s * 1000).toISOString().replace('Z', '000Z');

function lease(
  name: string,
  namespace: string,
  holder: string | undefined,
  renewedAgo: number,
  duration = 35,
): LeaseLike {
  return {
    metadata: { name, namespace },
    spec: {
      ...(holder !== undefined ? { holderIdentity: holder } : {}),
      leaseDurationSeconds: duration,
      renewTime: ago(renewedAgo),
    },
  };
}

const base = { now: NOW, identity: 'me', leaseNamespace: 'kube-system' };

describe('leaseController', () => {
  it.each([
    ['source-controller-leader-election', 'source-controller'],
    ['kustomize-controller-leader-election', 'kustomize-controller'],
    ['kustomize-controller-leader-election-1a2b3c', 'kustomize-controller'],
    ['helm-controller-leader-election', 'helm-controller'],
    ['fluxdeck-controllers', undefined],
    ['source-controller', undefined],
  ])('%s → %s', (name, controller) => {
    expect(leaseController(name)).toBe(controller);
  });
});

describe('whoReconciles', () => {
  it('observes while Flux renews its Leases, in any namespace, and looks again when the first one would run out', () => {
    const leases = [
      lease('source-controller-leader-election', 'gitops', 'source-controller-7d9_abc', 5),
      lease('kustomize-controller-leader-election', 'gitops', 'kustomize-controller-5f_def', 20),
    ];
    const who = whoReconciles({ ...base, leases, fluxVersion: 'v1.9.5' });
    expect(who).toMatchObject({ action: 'observe', reconciler: 'flux' });
    expect(who.message).toContain('kustomize-controller in gitops');
    expect(who.message).toContain('v1.9.5');
    expect(who.recheckAt).toBe(NOW - 20_000 + 35_000);
  });

  it('takes over when Flux stopped renewing (expired), or let go (no holder)', () => {
    const leases = [
      lease('source-controller-leader-election', 'flux-system', 'sc', 36),
      lease('kustomize-controller-leader-election', 'flux-system', '', 1),
    ];
    expect(whoReconciles({ ...base, leases })).toMatchObject({ action: 'campaign', reconciler: 'none', flux: [] });
    expect(liveFluxLeases(leases, NOW)).toEqual([]);
  });

  it('ignores Deployments-only evidence: no Lease, no Flux', () => {
    expect(whoReconciles({ ...base, leases: [] })).toMatchObject({ action: 'campaign', reconciler: 'none' });
  });

  it('only the core controllers send Fluxdeck to observe', () => {
    const leases = [lease('notification-controller-leader-election', 'flux-system', 'nc', 1)];
    expect(whoReconciles({ ...base, leases }).action).toBe('campaign');
  });

  it('reports a Fluxdeck instance holding its Lease as the desktop engine', () => {
    const leases = [lease('fluxdeck-controllers', 'kube-system', 'laptop-b', 3, 15)];
    expect(whoReconciles({ ...base, leases })).toMatchObject({
      action: 'campaign',
      reconciler: 'desktop',
      fluxdeckHolder: 'laptop-b',
    });
    // A Lease in another namespace is another group's, not this one.
    const elsewhere = [lease('fluxdeck-controllers', 'other', 'laptop-b', 3, 15)];
    expect(whoReconciles({ ...base, leases: elsewhere }).reconciler).toBe('none');
  });

  it('flags Flux and another Fluxdeck instance renewing at the same time as both (fighting)', () => {
    const leases = [
      lease('kustomize-controller-leader-election', 'flux-system', 'kc', 2),
      lease('fluxdeck-controllers', 'kube-system', 'laptop-b', 3, 15),
    ];
    const who = whoReconciles({ ...base, leases });
    expect(who).toMatchObject({ action: 'observe', reconciler: 'both' });
    expect(who.message).toMatch(/both reconcile this cluster/);
  });

  it('steps back itself when it held the Lease and Flux appears: Flux reconciles, not both', () => {
    const leases = [
      lease('kustomize-controller-leader-election', 'flux-system', 'kc', 2),
      lease('fluxdeck-controllers', 'kube-system', 'me', 1, 15),
    ];
    expect(whoReconciles({ ...base, leases })).toMatchObject({ action: 'observe', reconciler: 'flux' });
  });

  it('observes a cluster handed to in-cluster Flux before its Leases appear, and says Flux is not running', () => {
    const who = whoReconciles({ ...base, leases: [], chosen: 'in-cluster', chosenIn: 'flux-system' });
    expect(who).toMatchObject({ action: 'observe', reconciler: 'none' });
    expect(who.message).toMatch(
      /^in-cluster Flux \(not running\): flux-system .*fluxdeck bootstrap git --mode desktop/,
    );
    // Its own old Lease does not make it reconcile there either.
    const mine = [lease('fluxdeck-controllers', 'kube-system', 'me', 1, 15)];
    expect(whoReconciles({ ...base, leases: mine, chosen: 'in-cluster' }).action).toBe('observe');
  });

  it('lets live Leases decide over the recorded choice, and campaigns when desktop is chosen', () => {
    const flux = [lease('source-controller-leader-election', 'flux-system', 'sc', 2)];
    expect(whoReconciles({ ...base, leases: flux, chosen: 'in-cluster' })).toMatchObject({ reconciler: 'flux' });
    expect(whoReconciles({ ...base, leases: flux, chosen: 'desktop' })).toMatchObject({ action: 'observe' });
    expect(whoReconciles({ ...base, leases: [], chosen: 'desktop' })).toMatchObject({ action: 'campaign' });
  });

  it('reads the choice from the namespace label, ignoring unknown values', () => {
    const ns = (v?: string): { metadata: { labels: Record<string, string> } } => ({
      metadata: { labels: v ? { 'fluxdeck.io/reconciler': v } : {} },
    });
    expect(chosenReconciler(ns('in-cluster'))).toBe('in-cluster');
    expect(chosenReconciler(ns('desktop'))).toBe('desktop');
    expect(chosenReconciler(ns('flux'))).toBeUndefined();
    expect(chosenReconciler(ns())).toBeUndefined();
    expect(chosenReconciler(undefined)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';

import { type DeploymentLike, detectFlux, fluxControllerOf } from '../../../../main/controllers/crds/detect-flux.ts';

function deployment(
  name: string,
  opts: { namespace?: string; labels?: Record<string, string>; image?: string; replicas?: number; ready?: number } = {},
): DeploymentLike {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: opts.namespace ?? 'flux-system', labels: opts.labels ?? {} },
    spec: {
      ...(opts.replicas === undefined ? {} : { replicas: opts.replicas }),
      template: { spec: { containers: [{ name: 'manager', image: opts.image ?? `ghcr.io/fluxcd/${name}:v1.9.5` }] } },
    },
    status: { readyReplicas: opts.ready ?? 1 },
  };
}

const fluxLabels = (component: string): Record<string, string> => ({
  'app.kubernetes.io/part-of': 'flux',
  'app.kubernetes.io/component': component,
});

describe('fluxControllerOf', () => {
  it.each<[string, DeploymentLike, string | undefined]>([
    [
      'a labelled Flux install',
      deployment('source-controller', { labels: fluxLabels('source-controller') }),
      'source-controller',
    ],
    [
      'a renamed but labelled one',
      deployment('flux-kc', { labels: fluxLabels('kustomize-controller'), image: 'x/y:1' }),
      'kustomize-controller',
    ],
    [
      'an unlabelled one with a fluxcd image',
      deployment('helm-controller', { image: 'mirror.corp/fluxcd/helm-controller:v1.6.4' }),
      'helm-controller',
    ],
    [
      'an image pinned by digest',
      deployment('helm-controller', { image: 'ghcr.io/fluxcd/helm-controller@sha256:abc' }),
      'helm-controller',
    ],
    [
      "Rancher's helm-controller",
      deployment('helm-controller', { image: 'rancher/helm-controller:v0.16.1' }),
      undefined,
    ],
    ['an unrelated Deployment', deployment('podinfo', { labels: { 'app.kubernetes.io/part-of': 'flux' } }), undefined],
  ])('%s', (_what, d, controller) => {
    expect(fluxControllerOf(d)).toBe(controller);
  });
});

describe('detectFlux', () => {
  it('reports a full Flux install as running, with the kinds it reconciles and versions', () => {
    const names = ['source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller'];
    const result = detectFlux(names.map((n) => deployment(n, { labels: fluxLabels(n) })));
    expect(result.fluxRunning).toBe(true);
    expect(result.reconciledKinds).toEqual([
      'GitRepository',
      'HelmRepository',
      'HelmChart',
      'OCIRepository',
      'Bucket',
      'Kustomization',
      'HelmRelease',
      'Provider',
      'Alert',
      'Receiver',
    ]);
    expect(result.deployments[0]).toEqual({
      controller: 'source-controller',
      namespace: 'flux-system',
      name: 'source-controller',
      replicas: 1,
      readyReplicas: 1,
      image: 'ghcr.io/fluxcd/source-controller:v1.9.5',
      version: 'v1.9.5',
    });
  });

  it('treats controllers scaled to zero as not running', () => {
    const result = detectFlux([
      deployment('source-controller', { labels: fluxLabels('source-controller'), replicas: 0, ready: 0 }),
      deployment('kustomize-controller', { labels: fluxLabels('kustomize-controller'), replicas: 0, ready: 0 }),
    ]);
    expect(result.deployments).toHaveLength(2);
    expect(result.fluxRunning).toBe(false);
    expect(result.reconciledKinds).toEqual([]);
  });

  it('does not call image automation alone "Flux running", but still reports its kinds', () => {
    const result = detectFlux([
      deployment('image-automation-controller', { labels: fluxLabels('image-automation-controller') }),
    ]);
    expect(result.fluxRunning).toBe(false);
    expect(result.reconciledKinds).toEqual(['ImageUpdateAutomation']);
  });

  it('finds nothing in a cluster without Flux', () => {
    expect(detectFlux([deployment('coredns', { namespace: 'kube-system', image: 'coredns/coredns:1.11' })])).toEqual({
      deployments: [],
      reconciledKinds: [],
      fluxRunning: false,
    });
  });
});

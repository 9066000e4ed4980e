import { describe, expect, it } from 'vitest';

import { fluxEventFromKubeEvent, type KubeEvent } from '../../../main/notify/observed-events.ts';

const kubeEvent = (over: Partial<KubeEvent> = {}): KubeEvent => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: {
    name: 'e1',
    namespace: 'flux-system',
    uid: 'e-uid',
    annotations: { 'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:abc' },
  },
  involvedObject: {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    name: 'apps',
    namespace: 'flux-system',
    uid: 'k-uid',
  },
  type: 'Warning',
  reason: 'HealthCheckFailed',
  message: 'timeout waiting for: [Deployment/apps/web status: InProgress]',
  reportingComponent: 'kustomize-controller',
  lastTimestamp: '2025-03-10T11:59:00Z',
  ...over,
});

describe('fluxEventFromKubeEvent', () => {
  it('reads a Flux controller Event about a Flux object, with the group revision annotation', () => {
    expect(fluxEventFromKubeEvent(kubeEvent(), 'prod')).toEqual({
      cluster: 'prod',
      object: {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        namespace: 'flux-system',
        name: 'apps',
        uid: 'k-uid',
      },
      type: 'Warning',
      reason: 'HealthCheckFailed',
      message: 'timeout waiting for: [Deployment/apps/web status: InProgress]',
      revision: 'main@sha1:abc',
      controller: 'kustomize-controller',
      timestamp: '2025-03-10T11:59:00Z',
    });
  });

  it('takes the legacy source.component when reportingComponent is empty', () => {
    const e = fluxEventFromKubeEvent(
      kubeEvent({ reportingComponent: '', source: { component: 'helm-controller' } }),
      'c',
    );
    expect(e?.controller).toBe('helm-controller');
  });

  it('ignores other components and non-Flux objects', () => {
    expect(fluxEventFromKubeEvent(kubeEvent({ reportingComponent: 'kubelet' }), 'c')).toBeUndefined();
    const pod = kubeEvent({ involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'p', namespace: 'x' } });
    expect(fluxEventFromKubeEvent(pod, 'c')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';

import type { KubeObject } from '../../../main/util/kube-object.ts';
import { joinFleetImages, splitImage, workloadRuns } from '../../../main/workbench/fleet-images.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

const deployment = (namespace: string, name: string, images: string[], kind = 'Deployment'): KubeObject => {
  const pod = { spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } };
  return {
    apiVersion: kind === 'CronJob' ? 'batch/v1' : 'apps/v1',
    kind,
    metadata: { namespace, name },
    spec: kind === 'CronJob' ? { jobTemplate: { spec: { template: pod } } } : { template: pod },
  };
};

const policy = (
  namespace: string,
  name: string,
  latestRef?: { name: string; tag: string; digest?: string },
): KubeObject => ({
  apiVersion: 'image.toolkit.fluxcd.io/v1',
  kind: 'ImagePolicy',
  metadata: { namespace, name },
  spec: {},
  status: latestRef ? { latestRef } : {},
});

describe('the fleet images join', () => {
  it('normalises references as Docker does, so nginx and docker.io/library/nginx are one image', () => {
    expect(splitImage('nginx:1.25')).toEqual({ image: 'docker.io/library/nginx', tag: '1.25' });
    expect(splitImage('index.docker.io/library/nginx')).toEqual({ image: 'docker.io/library/nginx' });
    expect(splitImage(`localhost:5000/team/app:v2@${DIGEST}`)).toEqual({
      image: 'localhost:5000/team/app',
      tag: 'v2',
      digest: DIGEST,
    });
    expect(splitImage('Not An Image')).toBeUndefined();
  });

  it('reads the containers (init containers too) of Deployments and CronJobs, not of other kinds', () => {
    const cron = deployment('jobs', 'backup', ['ghcr.io/acme/backup:1.0.0'], 'CronJob');
    expect(workloadRuns('prod', cron)).toEqual([
      {
        image: 'ghcr.io/acme/backup',
        cluster: 'prod',
        namespace: 'jobs',
        kind: 'CronJob',
        workload: 'backup',
        container: 'c0',
        tag: '1.0.0',
      },
    ]);
    const withInit: KubeObject = {
      ...deployment('apps', 'web', ['nginx:1.25']),
      spec: { template: { spec: { initContainers: [{ name: 'migrate', image: 'acme/migrate:3' }], containers: [] } } },
    };
    expect(workloadRuns('prod', withInit).map((r) => [r.image, r.container])).toEqual([
      ['docker.io/acme/migrate', 'migrate'],
    ]);
    expect(workloadRuns('prod', { ...deployment('apps', 'web', ['nginx']), kind: 'ReplicaSet' })).toEqual([]);
  });

  it('joins runs across clusters with what policies want, and marks only the runs that differ', () => {
    const images = joinFleetImages([
      {
        cluster: 'prod',
        workloads: [deployment('apps', 'podinfo', ['ghcr.io/stefanprodan/podinfo:6.5.0', 'nginx:1.25'])],
        policies: [policy('flux-system', 'podinfo', { name: 'ghcr.io/stefanprodan/podinfo', tag: '6.5.1' })],
      },
      {
        cluster: 'staging',
        workloads: [
          deployment('apps', 'podinfo', ['ghcr.io/stefanprodan/podinfo:6.5.1']),
          deployment('apps', 'pinned', [`ghcr.io/stefanprodan/podinfo@${DIGEST}`]),
        ],
        policies: [
          policy('flux-system', 'podinfo', { name: 'ghcr.io/stefanprodan/podinfo', tag: '6.5.1', digest: DIGEST }),
          policy('flux-system', 'unscanned'),
        ],
      },
    ]);
    expect(images.map((i) => [i.image, i.differs])).toEqual([
      ['docker.io/library/nginx', false],
      ['ghcr.io/stefanprodan/podinfo', true],
    ]);
    const podinfo = images[1];
    expect(podinfo?.wants.map((w) => [w.cluster, w.policy, w.tag])).toEqual([
      ['prod', 'podinfo', '6.5.1'],
      ['staging', 'podinfo', '6.5.1'],
    ]);
    expect(podinfo?.runs.map((r) => [r.cluster, r.workload, r.tag ?? r.digest, r.differs])).toEqual([
      ['prod', 'podinfo', '6.5.0', true],
      ['staging', 'pinned', DIGEST, false],
      ['staging', 'podinfo', '6.5.1', false],
    ]);
    // An image no policy watches never differs.
    expect(images[0]?.runs[0]).toMatchObject({ tag: '1.25', differs: false });
  });

  it('holds a run to the policies of its own namespace when there are any', () => {
    const [image] = joinFleetImages([
      {
        cluster: 'prod',
        workloads: [deployment('team-a', 'api', ['acme/api:2.0.0']), deployment('team-b', 'api', ['acme/api:1.0.0'])],
        policies: [
          policy('team-a', 'api', { name: 'docker.io/acme/api', tag: '2.0.0' }),
          policy('team-b', 'api', { name: 'acme/api', tag: '1.0.0' }),
        ],
      },
    ]);
    expect(image?.runs.map((r) => [r.namespace, r.differs])).toEqual([
      ['team-a', false],
      ['team-b', false],
    ]);
    expect(image?.differs).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';

import type { FleetImage } from '../../../main/contract/index.ts';
import { visibleFleetImages } from '../../../renderer/features/images/fleet-filter.ts';

const run = (cluster: string, workload: string, tag: string, differs: boolean): FleetImage['runs'][number] => ({
  cluster,
  namespace: 'apps',
  kind: 'Deployment',
  workload,
  container: 'app',
  tag,
  differs,
});

const images: FleetImage[] = [
  { image: 'docker.io/library/nginx', runs: [run('prod', 'edge', '1.25', false)], wants: [], differs: false },
  {
    image: 'ghcr.io/acme/podinfo',
    runs: [run('prod', 'podinfo', '6.5.0', true), run('staging', 'podinfo', '6.5.1', false)],
    wants: [{ cluster: 'prod', namespace: 'flux-system', policy: 'podinfo-policy', tag: '6.5.1' }],
    differs: true,
  },
];

describe('the fleet images filter', () => {
  it('keeps every image without a filter, and only the differing ones when asked', () => {
    expect(visibleFleetImages(images, { search: '', onlyDiffering: false })).toHaveLength(2);
    expect(visibleFleetImages(images, { search: '', onlyDiffering: true }).map((i) => i.image)).toEqual([
      'ghcr.io/acme/podinfo',
    ]);
  });

  it('matches every word against the image, its workloads, clusters, tags and policies', () => {
    const names = (search: string): string[] =>
      visibleFleetImages(images, { search, onlyDiffering: false }).map((i) => i.image);
    expect(names('nginx')).toEqual(['docker.io/library/nginx']);
    expect(names('staging 6.5.1')).toEqual(['ghcr.io/acme/podinfo']);
    expect(names('podinfo-policy')).toEqual(['ghcr.io/acme/podinfo']);
    expect(names('prod EDGE')).toEqual(['docker.io/library/nginx']);
    expect(names('staging nginx')).toEqual([]);
  });
});

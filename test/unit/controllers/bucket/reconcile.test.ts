import { describe, expect, it } from 'vitest';

import type { BucketIndex, BucketPorts } from '../../../../main/controllers/bucket/ports.ts';
import { reconcileBucket } from '../../../../main/controllers/bucket/reconcile.ts';
import type { Artifact, Bucket, BucketStatus } from '../../../../main/flux/source.ts';

function bucket(spec: Partial<Bucket['spec']> = {}, status?: BucketStatus): Bucket {
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'Bucket',
    metadata: { name: 'manifests', namespace: 'flux-system', generation: 1, finalizers: ['finalizers.fluxcd.io'] },
    spec: { bucketName: 'manifests', endpoint: '127.0.0.1:9000', insecure: true, interval: '1m', ...spec },
    ...(status ? { status } : {}),
  };
}

function harness(revisions: string[]) {
  const h = { statuses: [] as BucketStatus[], stored: 0, events: [] as { reason: string; message: string }[] };
  const files = new Set<string>();
  let call = 0;
  const ports: BucketPorts = {
    secret: () => Promise.resolve({ accesskey: 'a', secretkey: 's' }),
    index: () => {
      const revision = revisions[Math.min(call++, revisions.length - 1)] ?? '';
      if (revision === 'down')
        return Promise.reject(
          Object.assign(new Error('dial tcp 127.0.0.1:9000: connection refused'), { reason: 'BucketOperationFailed' }),
        );
      return Promise.resolve<BucketIndex>({ revision, describe: `revision '${revision}'`, objects: [] });
    },
    storeArtifact: (_b, index) => {
      h.stored++;
      const a: Artifact = {
        path: `bucket/flux-system/manifests/${h.stored}.tar.gz`,
        url: 'http://x',
        revision: index.revision,
        digest: `sha256:${h.stored}`,
        lastUpdateTime: '2026-12-04T00:00:00Z',
      };
      files.add(a.digest);
      return Promise.resolve(a);
    },
    artifactExists: (a) => Promise.resolve(files.has(a.digest)),
    deleteArtifacts: () => Promise.resolve(),
    writeStatus: (_b, s) => {
      h.statuses.push(structuredClone(s));
      return Promise.resolve();
    },
    setFinalizer: () => Promise.resolve(),
    event: (_b, e) => h.events.push(e),
    now: () => new Date('2026-12-04T00:00:00Z'),
  };
  return { h, ports };
}

describe('Bucket reconcile', () => {
  it('stores a new artifact only when the index revision or the ignore rules change', async () => {
    const { h, ports } = harness(['sha256:one', 'sha256:one', 'sha256:two']);
    const signal = AbortSignal.timeout(5000);
    await reconcileBucket(bucket(), ports, signal);
    await reconcileBucket(bucket({}, h.statuses.at(-1)), ports, signal);
    expect(h.stored).toBe(1);
    await reconcileBucket(bucket({}, h.statuses.at(-1)), ports, signal);
    expect(h.stored).toBe(2);
    expect(h.statuses.at(-1)?.artifact?.revision).toBe('sha256:two');
    await reconcileBucket(bucket({ ignore: '*.md' }, h.statuses.at(-1)), ports, signal);
    expect(h.stored).toBe(3);
    expect(h.statuses.at(-1)?.observedIgnore).toBe('*.md');
  });

  it('keeps the last good artifact when the endpoint is unreachable', async () => {
    const { h, ports } = harness(['sha256:one', 'down']);
    const signal = AbortSignal.timeout(5000);
    await reconcileBucket(bucket(), ports, signal);
    const good = h.statuses.at(-1);
    await reconcileBucket(bucket({}, good), ports, signal);
    const last = h.statuses.at(-1);
    expect(last?.artifact).toEqual(good?.artifact);
    expect(last?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'BucketOperationFailed',
      message: 'dial tcp 127.0.0.1:9000: connection refused',
    });
  });
});

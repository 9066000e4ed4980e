import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import { LivePresence } from '../../../main/kube/live-presence.ts';
import { ResourceManager } from '../../../main/kube/resource-manager.ts';
import { createWatchCache } from '../../../main/kube/watch-cache.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { clientFor, ensureNamespace, eventually } from '../../support/flux-fixture.ts';

// The presence index against the real apiserver: metadata-only caches (PartialObjectMetadata) that know which objects
// exist, so a first apply creates new objects without reading each one first (issue 20, goal 3), and reads whatever
// it cannot vouch for.

const cluster = inject('cluster');
const NS = `presence-${process.pid}`;
const owner = { field: 'kustomize-controller', group: 'kustomize.toolkit.fluxcd.io' };
const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
let client: ClusterClient;

const cm = (name: string, data: Record<string, string> = { v: '1' }): KubeObject => ({
  ...CM,
  metadata: { name, namespace: NS },
  data,
});

/** Requests by verb made by `fn` on the client. */
async function counted(fn: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = { ...client.stats.byVerb };
  await fn();
  return Object.fromEntries(
    Object.entries(client.stats.byVerb)
      .map(([verb, n]) => [verb, n - (before[verb] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
}

beforeAll(async () => {
  client = await clientFor(cluster.kubeconfig);
  await ensureNamespace(client, NS);
});
afterAll(async () => {
  await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: NS }).catch(() => undefined);
  client.close();
});

describe('metadata-only watch cache', () => {
  it('holds each object’s identity only, and follows creations and deletions', async () => {
    await client.create(cm('meta-a', { secret: 'payload' }));
    const cache = createWatchCache(client, { ...CM, namespace: NS, metadataOnly: true });
    try {
      await cache.waitForSync();
      const a = cache.get(NS, 'meta-a');
      expect(a).toMatchObject({ ...CM, metadata: { name: 'meta-a', namespace: NS } });
      expect(a?.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(a && 'data' in a).toBe(false);
      await client.create(cm('meta-b'));
      await eventually('meta-b in the cache', () => Promise.resolve(cache.get(NS, 'meta-b')));
      await client.delete({ ...CM, namespace: NS, name: 'meta-a' });
      await eventually('meta-a gone from the cache', () => Promise.resolve(cache.get(NS, 'meta-a') ? undefined : true));
    } finally {
      cache.close();
    }
  });
});

describe('LivePresence', () => {
  it('says absent only once the kind is synced, and never for an object that exists', async () => {
    await client.create(cm('here'));
    const presence = new LivePresence(client);
    try {
      // The first question starts the kind's cache: unknown until it has listed.
      expect(presence.absent(CM, NS, 'not-here')).toBe(false);
      await eventually('the ConfigMap cache to sync', () =>
        Promise.resolve(presence.absent(CM, NS, 'not-here') ? true : undefined),
      );
      expect(presence.absent(CM, NS, 'here')).toBe(false);
      await client.create(cm('not-here'));
      await eventually('the new object to be known', () =>
        Promise.resolve(presence.absent(CM, NS, 'not-here') ? undefined : true),
      );
      expect(presence.kinds).toEqual(['v1/ConfigMap']);
    } finally {
      presence.stop();
    }
  });

  it('lets a first apply create new objects without reading them, and still reads the ones that exist', async () => {
    const presence = new LivePresence(client);
    try {
      presence.absent(CM, NS, 'warm-up');
      await eventually('the ConfigMap cache to sync', () =>
        Promise.resolve(presence.absent(CM, NS, 'warm-up') ? true : undefined),
      );
      await client.create(cm('existing', { v: 'old' }));
      await eventually('existing to be known', () =>
        Promise.resolve(presence.absent(CM, NS, 'existing') ? undefined : true),
      );
      const rm = new ResourceManager(client, { owner, presence });
      const objects = rm.setOwnerLabels(
        [cm('new-1'), cm('new-2'), cm('new-3'), cm('existing', { v: 'new' })],
        'app',
        NS,
      );
      let changes: Awaited<ReturnType<ResourceManager['applyAll']>> = [];
      const verbs = await counted(async () => {
        changes = await rm.applyAll(objects);
      });
      expect(Object.fromEntries(changes.map((c) => [c.subject, c.action]))).toEqual({
        [`ConfigMap/${NS}/existing`]: 'configured',
        [`ConfigMap/${NS}/new-1`]: 'created',
        [`ConfigMap/${NS}/new-2`]: 'created',
        [`ConfigMap/${NS}/new-3`]: 'created',
      });
      // One read (the existing object), its dry-run and four applies: the three new ones were not read.
      expect(verbs.GET ?? 0).toBe(1);
      expect(verbs.APPLY).toBe(5);
      const live = await client.get<KubeObject & { data: Record<string, string> }>({
        ...CM,
        namespace: NS,
        name: 'existing',
      });
      expect(live.data.v).toBe('new');
    } finally {
      presence.stop();
    }
  });
});

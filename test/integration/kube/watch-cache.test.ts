import { readFile, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';

import { type ClusterClient, openCluster } from '../../../main/kube/cluster-client.ts';
import { isKubeError } from '../../../main/kube/kube-error.ts';
import { kubeconfigFromYaml, loadKubeconfig } from '../../../main/kube/kubeconfig.ts';
import { ApplyError, ResourceManager } from '../../../main/kube/resource-manager.ts';
import { type CacheEvent, type CacheStatus, createWatchCache } from '../../../main/kube/watch-cache.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { startCluster } from '../../cluster/control-plane.ts';

const cluster = inject('cluster');
const ns = `watch-${process.pid}`;
let admin: ClusterClient;

const cm = (name: string, data: Record<string, string> = { a: '1' }, namespace = ns): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  // Labelled so caches can leave out the kube-root-ca.crt ConfigMap the controller-manager puts in every namespace.
  metadata: { name, namespace, labels: { test: 'watch' } },
  data,
});

async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * A TCP proxy in front of the apiserver that can freeze the connections it carries: bytes stop flowing but nothing
 * is closed, exactly what a dead network path looks like to a watch. New connections still go through.
 */
async function freezingProxy(target: string): Promise<{ server: string; freeze: () => void; close: () => void }> {
  const url = new URL(target);
  const pairs: [Socket, Socket][] = [];
  const server = createServer((down) => {
    const up = connect(Number(url.port), url.hostname);
    pairs.push([down, up]);
    down.pipe(up);
    up.pipe(down);
    for (const s of [down, up]) s.on('error', () => undefined);
    down.on('close', () => up.destroy());
    up.on('close', () => down.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    server: `https://127.0.0.1:${port}`,
    freeze: () => {
      for (const [down, up] of pairs.splice(0)) {
        down.unpipe(up);
        up.unpipe(down);
        down.pause();
        up.pause();
      }
    },
    close: () => {
      server.close();
      for (const [down, up] of pairs) {
        down.destroy();
        up.destroy();
      }
    },
  };
}

beforeAll(async () => {
  const { config } = await loadKubeconfig([cluster.kubeconfig]);
  admin = await openCluster(cluster.name, { kubeconfig: config });
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});

afterAll(async () => {
  await admin.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
  admin.close();
});

describe('watch cache', () => {
  it('lists then watches, strips managedFields, and reports only real changes when it relists', async () => {
    await admin.create(cm('before'));
    const cache = createWatchCache(admin, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      labelSelector: 'test=watch',
      resyncMs: 1500,
    });
    const events: string[] = [];
    cache.subscribe((e: CacheEvent) =>
      events.push(
        `${e.type} ${e.object.metadata.name ?? ''}${e.type === 'modified' ? ` ${e.old?.data ? JSON.stringify(e.old.data) : ''}` : ''}`,
      ),
    );
    try {
      await cache.waitForSync();
      expect(cache.list().map((o) => o.metadata.name)).toEqual(expect.arrayContaining(['before']));
      expect(cache.get(ns, 'before')?.metadata.managedFields).toBeUndefined();
      await admin.create(cm('later'));
      await admin.patch(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'later' },
        { data: { a: '2' } },
        'merge',
      );
      await admin.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'before' });
      await until('the delete', () => events.includes('deleted before'));
      expect(events).toEqual(['added before', 'added later', 'modified later {"a":"1"}', 'deleted before']);
      const listsBefore = cache.stats.lists;
      await until('two periodic relists', () => cache.stats.lists >= listsBefore + 2, 10_000);
      expect(events).toHaveLength(4); // nothing re-announced
      expect(cache.get(ns, 'later')?.data).toEqual({ a: '2' });
      expect(cache.status.state).toBe('synced');
    } finally {
      cache.close();
    }
    await until('closed', () => cache.status.state === 'closed');
  });

  it('restarts a watch that went silent on a dead connection, and catches up', async () => {
    const proxy = await freezingProxy(cluster.server);
    const token = `${cluster.name}-token`;
    const { config } = await loadKubeconfig([cluster.kubeconfig]);
    const viaProxy = kubeconfigFromYaml(
      stringify({
        clusters: [
          {
            name: 'p',
            cluster: {
              server: proxy.server,
              'certificate-authority-data': (await readFile(cluster.caCert)).toString('base64'),
            },
          },
        ],
        users: [{ name: 'p', user: { token: config.users.get(token)?.token } }],
        contexts: [{ name: 'p', context: { cluster: 'p', user: 'p' } }],
      }),
      'proxy kubeconfig',
    );
    const client = await openCluster('p', { kubeconfig: viaProxy });
    const cache = createWatchCache(client, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      stallMs: 1500,
      backoff: { initialMs: 100 },
    });
    try {
      await cache.waitForSync();
      // Only freeze once the watch connection itself carries events.
      await admin.create(cm('primer'));
      await until('the watch to deliver', () => cache.get(ns, 'primer') !== undefined);
      proxy.freeze();
      await admin.create(cm('while-frozen'));
      await until(
        'the stalled watch to restart and deliver',
        () => cache.get(ns, 'while-frozen') !== undefined,
        20_000,
      );
      expect(cache.stats.stalls).toBeGreaterThanOrEqual(1);
    } finally {
      cache.close();
      client.close();
      proxy.close();
    }
  });

  it('survives an apiserver restart: reports unreachable, then recovers and resumes; an apply cut off by it converges next time', async () => {
    const dir = join(tmpdir(), `fluxdeck-watch-restart-${process.pid}`);
    const own = await startCluster({ name: 'watch-restart', dir, tier: 'api', ownerPid: process.pid });
    const { config } = await loadKubeconfig([own.kubeconfig]);
    const client = await openCluster('watch-restart', { kubeconfig: config });
    const cache = createWatchCache(client, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'default',
      backoff: { initialMs: 100, maxMs: 1000 },
    });
    const states: CacheStatus['state'][] = [];
    cache.onStatus((s) => states.push(s.state));
    try {
      await cache.waitForSync();
      await client.create(cm('one', {}, 'default'));
      await until('first object', () => cache.get('default', 'one') !== undefined);
      const rm_ = new ResourceManager(client, {
        owner: { field: 'kustomize-controller', group: 'kustomize.toolkit.fluxcd.io' },
      });
      const batch = rm_.setOwnerLabels(
        Array.from({ length: 300 }, (_, i) => cm(`batch-${i}`, { i: String(i) }, 'default')),
        'b',
        'flux-system',
      );
      // Apply while the apiserver goes down underneath: it either finishes first or fails with the connection error.
      const [applied] = await Promise.allSettled([
        rm_.applyAllStaged(batch),
        sleep(150).then(() => own.restartApiServer()),
      ]);
      if (applied.status === 'rejected') {
        expect(applied.reason).toBeInstanceOf(ApplyError);
        const cause = (applied.reason as ApplyError).cause;
        expect(
          isKubeError(cause, 'Unreachable') || isKubeError(cause, 'ServerError') || isKubeError(cause, 'Timeout'),
        ).toBe(true);
      }
      await client.create(cm('two', {}, 'default'));
      await until('an object created after the restart', () => cache.get('default', 'two') !== undefined, 60_000);
      expect(states).toContain('unreachable');
      expect(states.at(-1)).toBe('synced');
      // The next attempt converges: every object present, whatever the first attempt managed.
      const again = await rm_.applyAllStaged(batch);
      expect(again).toHaveLength(300);
      await until(
        'the cache to hold the batch',
        () => cache.list('default').filter((o) => o.metadata.name?.startsWith('batch-')).length === 300,
      );
      expect((await rm_.applyAllStaged(batch)).every((e) => e.action === 'unchanged')).toBe(true);
    } finally {
      cache.close();
      client.close();
      await own.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

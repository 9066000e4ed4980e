import { describe, expect, it } from 'vitest';

import type { ClusterClient, KubeList, WatchOptions } from '../../../main/kube/cluster-client.ts';
import { KubeError } from '../../../main/kube/kube-error.ts';
import { createWatchCache } from '../../../main/kube/watch-cache.ts';
import type { WatchEvent } from '../../../main/kube/watch-stream.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';

const cm = (name: string, rv: string, data = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'a', resourceVersion: rv, managedFields: [{ manager: 'm' }] },
  data,
});

/**
 * A scripted stand-in for the cluster (a fake is fine in a unit test; the integration tests use the real apiserver):
 * each list and watch call takes the next step of its script.
 */
function scripted(
  lists: (() => KubeList)[],
  watches: ((opts: WatchOptions, emit: (e: WatchEvent) => void) => Promise<void>)[],
): {
  client: ClusterClient;
  watchRvs: (string | undefined)[];
} {
  const watchRvs: (string | undefined)[] = [];
  const closer = new AbortController();
  // Like the real client: an aborted signal ends the watch, also one that was aborted before the call.
  const hang = (signal?: AbortSignal): Promise<void> =>
    new Promise((_, rej) => {
      const abort = (): void => rej(new KubeError('aborted', { reason: 'Aborted' }));
      if (signal?.aborted) abort();
      signal?.addEventListener('abort', abort);
    });
  const client = {
    signal: closer.signal,
    list: () => {
      const next = lists.shift();
      return next ? Promise.resolve(next()) : Promise.reject(new KubeError('no more lists', { reason: 'Unreachable' }));
    },
    watch: (_t: unknown, opts: WatchOptions, emit: (e: WatchEvent) => void) => {
      watchRvs.push(opts.resourceVersion);
      const next = watches.shift();
      return next ? next(opts, emit) : hang(opts.signal);
    },
  } as unknown as ClusterClient;
  return { client, watchRvs };
}

const list = (rv: string, items: KubeObject[]): KubeList => ({
  apiVersion: 'v1',
  kind: 'ConfigMapList',
  metadata: { resourceVersion: rv },
  items,
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error('condition not met');
}

describe('watch cache (scripted apiserver)', () => {
  it('relists on 410 Gone, resumes from the new resourceVersion, and announces only what changed', async () => {
    const { client, watchRvs } = scripted(
      [
        () => list('10', [cm('x', '5'), cm('y', '6')]),
        () => list('20', [cm('x', '5'), cm('y', '18', { v: 2 }), cm('z', '19')]),
      ],
      [
        (_o, emit) => {
          emit({ type: 'ADDED', object: cm('w', '11') });
          emit({
            type: 'BOOKMARK',
            object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { resourceVersion: '12' } },
          });
          return Promise.reject(new KubeError('too old resource version', { reason: 'Gone', status: 410 }));
        },
      ],
    );
    const cache = createWatchCache(client, { apiVersion: 'v1', kind: 'ConfigMap', backoff: { initialMs: 1 } });
    const events: string[] = [];
    cache.subscribe((e) => events.push(`${e.type} ${e.object.metadata.name ?? ''}`));
    await until(() => cache.stats.gone === 1 && watchRvs.length === 2);
    expect(watchRvs).toEqual(['10', '20']);
    expect(events).toEqual(['added x', 'added y', 'added w', 'modified y', 'added z', 'deleted w']);
    expect(
      cache
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['x', 'y', 'z']);
    expect(cache.get('a', 'y')?.metadata.managedFields).toBeUndefined();
    cache.close();
  });

  it('backs off while the cluster is unreachable, says so once, and says when it is back', async () => {
    let failures = 0;
    const lists = [
      ...Array.from({ length: 3 }, () => () => {
        failures++;
        throw new KubeError('connect ECONNREFUSED', { reason: 'Unreachable', hint: 'is the cluster running?' });
      }),
      () => list('1', [cm('x', '1')]),
    ];
    const { client } = scripted(lists, []);
    const cache = createWatchCache(client, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      backoff: { initialMs: 2, maxMs: 8 },
    });
    const states: string[] = [];
    cache.onStatus((s) => states.push(`${s.state}${s.error?.hint ? ` (${s.error.hint})` : ''}`));
    await cache.waitForSync();
    expect(failures).toBe(3);
    expect(states).toEqual(['unreachable (is the cluster running?)', 'synced']);
    cache.close();
    await until(() => cache.status.state === 'closed');
    await expect(
      createWatchCache(scripted([], []).client, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        signal: AbortSignal.abort(),
      }).waitForSync(),
    ).rejects.toThrow(/closed before it synced/);
  });
});

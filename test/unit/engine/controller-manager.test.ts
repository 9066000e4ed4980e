import { describe, expect, it, vi } from 'vitest';

import {
  type CacheEvent,
  type Controller,
  ControllerManager,
  type ManagerEvents,
  needsReconcile,
  type ObjectCache,
  type ResourceType,
} from '../../../main/engine/controller-manager.ts';
import { EventBus } from '../../../main/engine/event-bus.ts';
import { olderThan, WrittenVersions } from '../../../main/engine/written-versions.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { createLogger, silentLogger } from '../../../main/util/logger.ts';

/** An in-memory cache standing in for a watch cache (unit tests only). */
class MemoryCache implements ObjectCache {
  readonly objects = new Map<string, KubeObject>();
  private readonly listeners = new Set<(e: CacheEvent) => void>();
  get(ns: string, name: string): KubeObject | undefined {
    return this.objects.get(`${ns}/${name}`);
  }
  list(): KubeObject[] {
    return [...this.objects.values()];
  }
  subscribe(l: (e: CacheEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  put(obj: KubeObject): void {
    const k = `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
    const old = this.objects.get(k);
    this.objects.set(k, obj);
    for (const l of this.listeners) l(old ? { type: 'modified', object: obj, old } : { type: 'added', object: obj });
  }
  del(obj: KubeObject): void {
    this.objects.delete(`${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`);
    for (const l of this.listeners) l({ type: 'deleted', object: obj });
  }
}

const KS: ResourceType = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' };
const GIT: ResourceType = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository' };

function obj(
  type: ResourceType,
  name: string,
  extra: Partial<KubeObject['metadata']> = {},
  body: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: type.apiVersion,
    kind: type.kind,
    metadata: { name, namespace: 'flux-system', generation: 1, ...extra },
    ...body,
  };
}

function setup(controllerExtra: Partial<Controller> = {}): {
  ks: MemoryCache;
  git: MemoryCache;
  reconciled: string[];
  manager: ControllerManager;
  events: ManagerEvents['reconcile.finished'][];
} {
  const ks = new MemoryCache();
  const git = new MemoryCache();
  const reconciled: string[] = [];
  const bus = new EventBus<ManagerEvents>();
  const events: ManagerEvents['reconcile.finished'][] = [];
  bus.on('reconcile.finished', (e) => events.push(e));
  const controller: Controller = {
    type: KS,
    reconcile: (o) => {
      reconciled.push(o.metadata.name ?? '');
      return Promise.resolve({});
    },
    // As Flux's controllers do (main/controllers/flux-session.ts): a new request annotation value asks for a reconcile.
    shouldReconcile: (e) => needsReconcile(e, 'reconcile.fluxcd.io/requestedAt'),
    watches: [
      {
        type: GIT,
        map: (e) => {
          const rev = (o: KubeObject | undefined): unknown => (o?.status as { rev?: string } | undefined)?.rev;
          if (e.type !== 'modified' || rev(e.object) === rev(e.old)) return [];
          return ks
            .list()
            .filter((k) => (k.spec as { sourceRef: { name: string } }).sourceRef.name === e.object.metadata.name)
            .map((k) => ({ namespace: k.metadata.namespace ?? '', name: k.metadata.name ?? '' }));
        },
      },
    ],
    ...controllerExtra,
  };
  const manager = new ControllerManager({
    cluster: 'prod',
    controllers: [controller],
    caches: (t) => (t.kind === 'Kustomization' ? ks : git),
    bus,
    logger: silentLogger,
  });
  return { ks, git, reconciled, manager, events };
}

describe('ControllerManager', () => {
  it('reconciles every existing object on start and reports each run on the bus', async () => {
    const t = setup();
    t.ks.put(obj(KS, 'apps', {}, { spec: { sourceRef: { name: 'repo' } } }));
    t.ks.put(obj(KS, 'infra', {}, { spec: { sourceRef: { name: 'repo' } } }));
    t.manager.start();
    await t.manager.idle();
    expect(t.reconciled.sort()).toEqual(['apps', 'infra']);
    expect(t.events.map((e) => `${e.cluster}/${e.kind}/${e.name}`).sort()).toEqual([
      'prod/Kustomization/apps',
      'prod/Kustomization/infra',
    ]);
    await t.manager.stop();
  });

  it('ignores status-only updates but reacts to a new generation and a reconcile request', async () => {
    const t = setup();
    const base = obj(KS, 'apps', {}, { spec: { sourceRef: { name: 'repo' } } });
    t.ks.put(base);
    t.manager.start();
    await t.manager.idle();
    t.ks.put({ ...base, status: { observedGeneration: 1 } });
    await t.manager.idle();
    expect(t.reconciled).toEqual(['apps']);
    t.ks.put({ ...base, metadata: { ...base.metadata, generation: 2 } });
    await t.manager.idle();
    t.ks.put({
      ...base,
      metadata: { ...base.metadata, generation: 2, annotations: { 'reconcile.fluxcd.io/requestedAt': 'now' } },
    });
    await t.manager.idle();
    expect(t.reconciled).toEqual(['apps', 'apps', 'apps']);
    await t.manager.stop();
  });

  it('requeues dependents when a watched object changes', async () => {
    const t = setup();
    t.ks.put(obj(KS, 'apps', {}, { spec: { sourceRef: { name: 'repo' } } }));
    t.ks.put(obj(KS, 'other', {}, { spec: { sourceRef: { name: 'elsewhere' } } }));
    const repo = obj(GIT, 'repo', {}, { status: { rev: 'a' } });
    t.git.put(repo);
    t.manager.start();
    await t.manager.idle();
    t.reconciled.length = 0;
    t.git.put({ ...repo, status: { rev: 'b' } });
    await t.manager.idle();
    expect(t.reconciled).toEqual(['apps']);
    await t.manager.stop();
  });

  it('does not reconcile objects that are gone, and turns a throwing reconcile into a reported failure', async () => {
    const t = setup({
      reconcile: (o) => (o.metadata.name === 'bad' ? Promise.reject(new Error('build failed')) : Promise.resolve({})),
    });
    const doomed = obj(KS, 'doomed', {}, { spec: { sourceRef: { name: 'r' } } });
    t.ks.put(doomed);
    t.ks.del(doomed);
    t.ks.put(obj(KS, 'bad', {}, { spec: { sourceRef: { name: 'r' } } }));
    t.manager.start();
    await t.manager.idle();
    expect(t.events.map((e) => [e.name, e.error])).toEqual([['bad', 'build failed']]);
    await t.manager.stop();
  });
});

describe('needsReconcile (the predicates Flux uses)', () => {
  const base = obj(KS, 'a');
  it.each<[string, CacheEvent, boolean]>([
    ['added', { type: 'added', object: base }, true],
    ['deleted', { type: 'deleted', object: base }, false],
    ['status only', { type: 'modified', object: { ...base, status: { x: 1 } }, old: base }, false],
    ['generation', { type: 'modified', object: obj(KS, 'a', { generation: 2 }), old: base }, true],
    ['deletion started', { type: 'modified', object: obj(KS, 'a', { deletionTimestamp: 'now' }), old: base }, true],
    [
      'request annotation',
      {
        type: 'modified',
        object: obj(KS, 'a', { annotations: { 'reconcile.fluxcd.io/requestedAt': '1' } }),
        old: base,
      },
      true,
    ],
    [
      'same request annotation',
      {
        type: 'modified',
        object: obj(KS, 'a', { annotations: { 'reconcile.fluxcd.io/requestedAt': '1' } }),
        old: obj(KS, 'a', { annotations: { 'reconcile.fluxcd.io/requestedAt': '1' } }),
      },
      false,
    ],
  ])('%s → %s', (_name, event, expected) => {
    expect(needsReconcile(event, 'reconcile.fluxcd.io/requestedAt')).toBe(expected);
  });

  it('ignores annotations when the controller names no request annotation', () => {
    const annotated = obj(KS, 'a', { annotations: { 'reconcile.fluxcd.io/requestedAt': '1' } });
    expect(needsReconcile({ type: 'modified', object: annotated, old: base })).toBe(false);
  });
});

describe('ControllerManager interval scheduling', () => {
  it('requeues after the interval a reconcile asks for, spread by a small jitter', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.spyOn(Math, 'random').mockReturnValue(0); // the earliest point of the jitter window: 5% early
    try {
      const t = setup({
        reconcile: (o) => {
          t.reconciled.push(o.metadata.name ?? '');
          return Promise.resolve({ requeueAfterMs: 60_000 });
        },
      });
      t.ks.put(obj(KS, 'apps', {}, { spec: { sourceRef: { name: 'repo' } } }));
      t.manager.start();
      await vi.advanceTimersByTimeAsync(10);
      expect(t.reconciled).toEqual(['apps']);
      await vi.advanceTimersByTimeAsync(56_900);
      expect(t.reconciled).toEqual(['apps']);
      await vi.advanceTimersByTimeAsync(200);
      expect(t.reconciled).toEqual(['apps', 'apps']);
      await t.manager.stop();
    } finally {
      vi.restoreAllMocks();
      vi.useRealTimers();
    }
  });
});

describe('ControllerManager read-your-writes', () => {
  /**
   * A manager over one cache whose reconcile writes the object's status, as the apiserver answers it, while the
   * object is queued again; the cache hears of the write only when `deliver` is called (the watch's delay).
   */
  function writingSetup(catchUpMs?: number): {
    cache: MemoryCache;
    seen: (string | undefined)[];
    warnings: string[];
    manager: ControllerManager;
    deliver: () => void;
  } {
    const cache = new MemoryCache();
    const seen: (string | undefined)[] = [];
    const warnings: string[] = [];
    const listeners = new Set<(o: KubeObject) => void>();
    let undelivered: KubeObject | undefined;
    const manager: ControllerManager = new ControllerManager({
      cluster: 'prod',
      controllers: [
        {
          type: KS,
          reconcile: (o) => {
            seen.push(o.metadata.resourceVersion);
            if (seen.length === 1) {
              manager.enqueue(KS, { namespace: 'flux-system', name: 'apps' });
              undelivered = { ...o, metadata: { ...o.metadata, resourceVersion: '12' }, status: { version: 2 } };
              for (const l of listeners) l(undelivered);
            }
            return Promise.resolve({});
          },
        },
      ],
      caches: () => cache,
      bus: new EventBus<ManagerEvents>(),
      logger: createLogger({ write: (line) => warnings.push(line) }, 'warn'),
      writes: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      ...(catchUpMs !== undefined && { catchUpMs }),
    });
    const deliver = (): void => {
      if (undelivered) cache.put(undelivered);
    };
    cache.put(obj(KS, 'apps', { resourceVersion: '11' }));
    return { cache, seen, warnings, manager, deliver };
  }

  it('starts the next reconcile of an object only once the cache has its last write', async () => {
    const t = writingSetup();
    t.manager.start();
    await new Promise((r) => setTimeout(r, 50));
    // The second reconcile is waiting: the cache still holds version 11.
    expect(t.seen).toEqual(['11']);
    t.deliver();
    await t.manager.idle();
    expect(t.seen).toEqual(['11', '12']);
    expect(t.warnings).toEqual([]);
    await t.manager.stop();
  });

  it('goes on with what the cache has when it does not catch up in time, and says so', async () => {
    const t = writingSetup(30);
    t.manager.start();
    await t.manager.idle();
    expect(t.seen).toEqual(['11', '11']);
    expect(t.warnings.join('\n')).toContain('the cache did not catch up with a write');
    await t.manager.stop();
  });

  it('drops a reconcile that waits for the cache when the manager stops', async () => {
    const t = writingSetup();
    t.manager.start();
    await new Promise((r) => setTimeout(r, 20));
    await t.manager.stop();
    expect(t.seen).toEqual(['11']);
    expect(t.warnings).toEqual([]);
  });

  it('does not wait for a write to an object that was deleted since', async () => {
    const t = writingSetup();
    t.manager.start();
    await new Promise((r) => setTimeout(r, 20));
    const gone = t.cache.get('flux-system', 'apps');
    if (gone) t.cache.del(gone);
    await t.manager.idle();
    expect(t.seen).toEqual(['11']);
    expect(t.warnings).toEqual([]);
    await t.manager.stop();
  });
});

describe('olderThan (resourceVersions as etcd revisions)', () => {
  it('compares decimal versions as numbers and never calls an opaque one older', () => {
    expect(olderThan('9', '10')).toBe(true);
    expect(olderThan('10', '10')).toBe(false);
    expect(olderThan('11', '10')).toBe(false);
    expect(olderThan('99999999999999999999', '100000000000000000000')).toBe(true);
    expect(olderThan(undefined, '10')).toBe(true);
    expect(olderThan('abc', '10')).toBe(false);
    expect(olderThan('10', 'x7')).toBe(false);
  });

  it('keeps the newest write of an object and forgets it once the cache reaches it', () => {
    const w = new WrittenVersions();
    w.note('Kustomization', 'ns', 'a', '12');
    w.note('Kustomization', 'ns', 'a', '11');
    expect(w.ahead('Kustomization', 'ns', 'a', '11')).toBe('12');
    expect(w.ahead('Kustomization', 'ns', 'b', '1')).toBeUndefined();
    expect(w.ahead('Kustomization', 'ns', 'a', '13')).toBeUndefined();
    expect(w.size).toBe(0);
  });
});

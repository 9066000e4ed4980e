import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createApi, type FluxdeckApiServer } from '../../../main/api/create-api.ts';
import type { FluxObjectData, GraphDelta } from '../../../main/contract/index.ts';
import { silentLogger } from '../../../main/util/logger.ts';
import { clusterInfo, createMemoryEngine, type MemoryEngine } from '../../support/memory-engine.ts';
import { capabilities, ctx, recordingSink } from './api-fixtures.ts';

const actionId = '0f8fad5b-d9cb-469f-a165-70867728950e';

function ks(name: string, extra: Partial<FluxObjectData> = {}): FluxObjectData {
  return {
    uid: `uid-${name}`,
    cluster: 'prod',
    group: 'kustomize.toolkit.fluxcd.io',
    version: 'v1',
    kind: 'Kustomization',
    namespace: 'flux-system',
    name,
    resourceVersion: '10',
    generation: 1,
    observedGeneration: 1,
    suspended: false,
    conditions: [
      { type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: 'Applied revision: main@sha1:abc' },
    ],
    sourceRef: {
      group: 'source.toolkit.fluxcd.io',
      kind: 'GitRepository',
      namespace: 'flux-system',
      name: 'flux-system',
    },
    dependsOn: [],
    revision: { lastApplied: 'main@sha1:abc' },
    ...extra,
  };
}

const sink = recordingSink;

describe('the api over an engine port', () => {
  let engine: MemoryEngine;
  let api: FluxdeckApiServer;

  beforeEach(() => {
    vi.useFakeTimers();
    engine = createMemoryEngine();
    engine.putCluster(clusterInfo('prod', 'connected'));
    engine.putCluster(clusterInfo('staging'));
    api = createApi({
      port: engine,
      capabilities,
      logger: silentLogger,
      limits: { maxItems: 100, maxDelayMs: 50 },
      checkResponses: true,
    });
  });
  afterEach(() => {
    api.close();
    vi.useRealTimers();
  });

  it('answers the snapshot with every object and its derived state', async () => {
    engine.putObject(ks('apps'));
    engine.putObject(
      ks('broken', {
        uid: 'u2',
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'BuildFailed',
            message: 'kustomization.yaml: accumulating resources',
          },
        ],
      }),
    );
    const r = await api.router.invoke('graph:snapshot', {}, ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const snap = r.value as { objects: { name: string; state: { status: string } }[] };
    expect(snap.objects.map((o) => [o.name, o.state.status]).sort()).toEqual([
      ['apps', 'ready'],
      ['broken', 'failed'],
    ]);
  });

  it('holds the start-up reconciles until a UI has read its first graph and had time to draw it', async () => {
    expect(engine.holds).toEqual([{ maxMs: 3000, released: false }]);
    await api.router.invoke('app:capabilities', {}, ctx);
    vi.advanceTimersByTime(1000);
    expect(engine.holds[0]?.released).toBe(false);
    await api.router.invoke('graph:snapshot', {}, ctx);
    vi.advanceTimersByTime(499);
    expect(engine.holds[0]?.released).toBe(false);
    vi.advanceTimersByTime(1);
    expect(engine.holds[0]?.released).toBe(true);
  });

  it('pushes changes to each client as batched deltas, newest state per uid', () => {
    const a = sink('a');
    const b = sink('b');
    api.attach(a);
    api.attach(b);
    engine.putObject(ks('apps', { resourceVersion: '11' }));
    engine.putObject(ks('apps', { resourceVersion: '12' }));
    engine.putObject(ks('infra', { uid: 'u-infra' }));
    engine.remove('object', 'u-infra');
    expect(a.events.filter((e) => e.channel === 'graph:onDelta')).toEqual([]);
    vi.advanceTimersByTime(50);
    for (const client of [a, b]) {
      const deltas = client.events.filter((e) => e.channel === 'graph:onDelta').map((e) => e.payload as GraphDelta);
      expect(deltas).toHaveLength(1);
      expect(deltas[0]?.objects.map((o) => o.resourceVersion)).toEqual(['12']);
      expect(deltas[0]?.removed).toEqual([{ what: 'object', uid: 'u-infra', cluster: 'prod' }]);
    }
  });

  it('stops pushing to a client that closed', () => {
    const a = sink();
    api.attach(a);
    expect(api.clients).toBe(1);
    a.open = false;
    engine.putObject(ks('apps'));
    vi.advanceTimersByTime(50);
    expect(a.events).toEqual([]);
    expect(api.clients).toBe(0);
  });

  it('reconciles with progress events until the outcome, and the object change arrives before "succeeded"', async () => {
    const a = sink();
    api.attach(a);
    engine.putObject(ks('apps'));
    vi.advanceTimersByTime(50);
    a.events.length = 0;
    const key = { cluster: 'prod', kind: 'Kustomization', namespace: 'flux-system', name: 'apps' } as const;
    const pending = api.router.invoke('flux:reconcile', { actionId, key, withSource: false }, ctx);
    await vi.runAllTimersAsync();
    const r = await pending;
    expect(r).toMatchObject({ ok: true, value: { actionId, ok: true, action: 'reconcile', key } });
    const phases = a.events
      .filter((e) => e.channel === 'actions:onProgress')
      .map((e) => (e.payload as { phase: string }).phase);
    expect(phases).toEqual(['requested', 'waiting', 'succeeded']);
    const succeededAt = a.events.findIndex(
      (e) => e.channel === 'actions:onProgress' && (e.payload as { phase: string }).phase === 'succeeded',
    );
    const lastDelta = a.events.map((e) => e.channel).lastIndexOf('graph:onDelta');
    expect(lastDelta).toBeGreaterThanOrEqual(0);
    expect(lastDelta).toBeLessThan(succeededAt);
    expect(engine.calls).toContainEqual({ method: 'reconcile', key });
  });

  it('reports a reconcile that left Ready=False as an outcome, not an error', async () => {
    engine.putObject(ks('apps'));
    const key = { cluster: 'prod', kind: 'Kustomization', namespace: 'flux-system', name: 'apps' } as const;
    engine.failNext(key, 'health check failed after 30s');
    const pending = api.router.invoke('flux:reconcile', { actionId, key, withSource: false }, ctx);
    await vi.runAllTimersAsync();
    expect(await pending).toMatchObject({ ok: true, value: { ok: false, message: 'health check failed after 30s' } });
  });

  it('refuses to reconcile a suspended object with the suspended code, and says what to do', async () => {
    engine.putObject(ks('apps', { suspended: true }));
    const key = { cluster: 'prod', kind: 'Kustomization', namespace: 'flux-system', name: 'apps' } as const;
    const r = await api.router.invoke('flux:reconcile', { actionId, key, withSource: false }, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'suspended' } });
    if (!r.ok) expect(r.error.message).toMatch(/resume/);
  });

  it('says not-connected for a context that is not connected', async () => {
    const key = { cluster: 'staging', kind: 'Kustomization', namespace: 'flux-system', name: 'apps' } as const;
    const r = await api.router.invoke('flux:suspend', { actionId, key }, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'not-connected' } });
  });

  it('answers objects:get with the live YAML, events and the summary it already has', async () => {
    engine.putObject(ks('apps'));
    const r = await api.router.invoke(
      'objects:get',
      {
        key: {
          cluster: 'prod',
          group: 'kustomize.toolkit.fluxcd.io',
          kind: 'Kustomization',
          namespace: 'flux-system',
          name: 'apps',
        },
      },
      ctx,
    );
    expect(r).toMatchObject({
      ok: true,
      value: { flux: { name: 'apps', state: { status: 'ready' } }, events: [{ reason: 'ReconciliationSucceeded' }] },
    });
  });

  it('pauses reconciling and reports the new health at once, and pushes it to clients', async () => {
    const a = sink();
    api.attach(a);
    const r = await api.router.invoke('engine:setPaused', { paused: true }, ctx);
    expect(r).toMatchObject({ ok: true, value: { paused: true } });
    expect(api.health().paused).toBe(true);
    expect(a.events.some((e) => e.channel === 'app:onHealth' && (e.payload as { paused: boolean }).paused)).toBe(true);
  });

  it('counts connected clusters in the health summary as they change', async () => {
    await vi.runAllTimersAsync();
    expect(api.health().connectedClusters).toBe(1);
    const seen: number[] = [];
    api.onHealth((h) => seen.push(h.connectedClusters));
    await api.router.invoke('clusters:connect', { cluster: 'staging' }, ctx);
    await vi.runAllTimersAsync();
    expect(seen.at(-1)).toBe(2);
  });

  it('forwards menu commands to every client', () => {
    const a = sink();
    api.attach(a);
    api.command('palette');
    expect(a.events).toEqual([{ channel: 'app:onCommand', payload: { command: 'palette' } }]);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createApi, type FluxdeckApiServer } from '../../../main/api/create-api.ts';
import { driftRecords } from '../../../main/api/inbox-handlers.ts';
import type { InboxDelta, InboxItem } from '../../../main/contract/index.ts';
import type { AlertInput } from '../../../main/notify/index.ts';
import { silentLogger } from '../../../main/util/logger.ts';
import { clusterInfo, createMemoryEngine, type MemoryEngine } from '../../support/memory-engine.ts';
import { capabilities, ctx, recordingSink as sink } from './api-fixtures.ts';

// The inbox through the api, on a real (in-memory SQLite) inbox: requests change it, and every client is told what
// changed as batched deltas carrying the counts, without asking.

const failure = (name: string, cluster = 'prod'): AlertInput => ({
  rule: 'reconcile-failed',
  severity: 'error',
  cluster,
  object: { kind: 'Kustomization', namespace: 'flux-system', name },
  reason: 'BuildFailed',
  message: `kustomization ${name}: accumulating resources: missing.yaml`,
  source: 'kustomize-controller',
});

const drift: AlertInput = {
  rule: 'drift-corrected',
  severity: 'warning',
  cluster: 'prod',
  object: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
  reason: 'DriftCorrected',
  message: 'Deployment/web/web: spec.replicas (set by kubectl-edit)',
  drift: [
    {
      subject: 'Deployment/web/web',
      ref: { group: 'apps', kind: 'Deployment', namespace: 'web', name: 'web' },
      action: 'configured',
      changes: [
        { path: 'spec.replicas', op: 'changed', live: 5, desired: 2, manager: 'kubectl-edit', operation: 'Update' },
      ],
    },
    {
      subject: 'ConfigMap/web/settings',
      ref: { group: '', kind: 'ConfigMap', namespace: 'web', name: 'settings' },
      action: 'configured',
    },
  ],
};

describe('the inbox through the api', () => {
  let engine: MemoryEngine;
  let api: FluxdeckApiServer;
  const call = async <T>(channel: string, payload: unknown): Promise<T> => {
    const r = await api.router.invoke(channel, payload, ctx);
    if (!r.ok) throw new Error(`${channel}: ${r.error.message}`);
    return r.value as T;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    engine = createMemoryEngine();
    engine.putCluster(clusterInfo('prod', 'connected'));
    api = createApi({
      port: engine,
      capabilities,
      logger: silentLogger,
      limits: { maxItems: 100, maxDelayMs: 50 },
      checkResponses: true,
    });
  });
  afterEach(async () => {
    api.close();
    await engine.close();
    vi.useRealTimers();
  });

  it('pushes new items as one delta with the counts, and acknowledging pushes the changed item', async () => {
    const client = sink();
    api.attach(client);
    const a = engine.inbox.record(failure('apps'));
    engine.inbox.record(failure('infra'));
    vi.advanceTimersByTime(60);
    const deltas = client.events.filter((e) => e.channel === 'inbox:onChanged').map((e) => e.payload as InboxDelta);
    expect(deltas).toHaveLength(1);
    expect(deltas[0]?.items.map((i) => i.object?.name).sort()).toEqual(['apps', 'infra']);
    expect(deltas[0]?.counts).toMatchObject({ unread: 2, unreadErrors: 2, unreadByCluster: { prod: 2 } });

    expect(await call('inbox:acknowledge', { ids: [a.id], acknowledged: true })).toEqual({ changed: 1 });
    vi.advanceTimersByTime(60);
    const last = client.events.at(-1)?.payload as InboxDelta;
    expect(last.items).toEqual([expect.objectContaining({ id: a.id, acknowledged: true, read: true })]);
    expect(last.counts.unread).toBe(1);
    expect(last.refresh).toBe(false);
  });

  it('lists with filters, and a mute makes clients list again with the new rules', async () => {
    engine.inbox.record(failure('apps'));
    engine.inbox.record(failure('web', 'staging'));
    const page = await call<{ items: InboxItem[]; total: number }>('inbox:list', {
      filter: { cluster: 'staging', acknowledged: false },
    });
    expect(page.total).toBe(1);
    expect(page.items[0]?.object?.name).toBe('web');

    const client = sink();
    api.attach(client);
    await call('inbox:mute', { scope: { cluster: 'staging' } });
    vi.advanceTimersByTime(60);
    const delta = client.events.at(-1)?.payload as InboxDelta;
    expect(delta.refresh).toBe(true);
    expect(delta.mutes).toEqual([expect.objectContaining({ cluster: 'staging' })]);
    expect(delta.counts.unreadByCluster).toEqual({ prod: 1 });
    // The tray's and the status bar's count follows (the health summary is recomputed at most every 250 ms).
    vi.advanceTimersByTime(300);
    expect(api.health().unreadAlerts).toBe(1);
  });

  it('gives the notice of a moved-aside database until a client dismissed it', async () => {
    engine.setInboxNotice('inbox.db was damaged and moved to inbox.db.corrupt-20260101T000000Z');
    expect((await call<{ notice?: string }>('inbox:state', {})).notice).toContain('inbox.db.corrupt');
    await call('inbox:dismissNotice', {});
    expect((await call<{ notice?: string }>('inbox:state', {})).notice).toBeUndefined();
  });

  it("finds an object's corrected drift, and everything a Kustomization put back", async () => {
    engine.inbox.record(drift);
    const web = await call<ReturnType<typeof driftRecords>>('inbox:drift', {
      key: { cluster: 'prod', group: 'apps', kind: 'Deployment', namespace: 'web', name: 'web' },
    });
    expect(web).toHaveLength(1);
    expect(web[0]?.by).toMatchObject({ kind: 'Kustomization', name: 'apps' });
    expect(web[0]?.object.changes?.[0]).toMatchObject({ path: 'spec.replicas', manager: 'kubectl-edit' });
    const ks = await call<unknown[]>('inbox:drift', {
      key: {
        cluster: 'prod',
        group: 'kustomize.toolkit.fluxcd.io',
        kind: 'Kustomization',
        namespace: 'flux-system',
        name: 'apps',
      },
    });
    expect(ks).toHaveLength(2);
    const other = await call<unknown[]>('inbox:drift', {
      key: { cluster: 'prod', group: 'apps', kind: 'Deployment', namespace: 'other', name: 'web' },
    });
    expect(other).toEqual([]);
  });
});

describe('driftRecords', () => {
  const item = (over: Partial<InboxItem>): InboxItem => ({
    id: 1,
    rule: 'drift-corrected',
    severity: 'warning',
    cluster: 'prod',
    object: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
    reason: 'DriftCorrected',
    message: '',
    drift: drift.drift,
    count: 1,
    firstSeen: '2026-01-01T00:00:00Z',
    lastSeen: '2026-01-01T00:00:00Z',
    read: false,
    acknowledged: false,
    muted: false,
    ...over,
  });
  const key = { cluster: 'prod', group: 'apps', kind: 'Deployment', namespace: 'web', name: 'web' };

  it('keeps other clusters and other rules out, newest first', () => {
    const records = driftRecords(
      [
        item({ id: 1, lastSeen: '2026-01-01T00:00:00Z' }),
        item({ id: 2, lastSeen: '2026-01-02T00:00:00Z', count: 3 }),
        item({ id: 3, cluster: 'staging' }),
        item({ id: 4, rule: 'reconcile-failed' }),
      ],
      key,
    );
    expect(records.map((r) => r.itemId)).toEqual([2, 1]);
    expect(records[0]?.count).toBe(3);
  });
});

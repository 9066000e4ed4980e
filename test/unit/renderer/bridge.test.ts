import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type {
  ClusterInfo,
  EventChannel,
  GraphDelta,
  GraphSnapshot,
  RequestChannel,
} from '../../../main/contract/index.ts';
import { reconcile, select, toggleSuspend } from '../../../renderer/store/actions.ts';
import { startBridge } from '../../../renderer/store/bridge.ts';
import { nodeIdOf } from '../../../renderer/store/ids.ts';
import { showInbox } from '../../../renderer/store/inbox-actions.ts';
import { initialState, useAppStore } from '../../../renderer/store/index.ts';
import { ApiError, type Transport, type TransportStatus } from '../../../renderer/transport/transport.ts';
import { clusterInfo } from '../../support/memory-engine.ts';
import { fluxObject } from './fixtures.ts';

/** A transport whose requests the test answers and whose pushes the test sends. */
function fakeTransport() {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const statusListeners = new Set<(s: TransportStatus) => void>();
  const answers = new Map<string, (payload: unknown) => Promise<unknown>>();
  const calls: { channel: string; payload: unknown }[] = [];
  let status: TransportStatus = 'connecting';
  const t: Transport & {
    emit(channel: EventChannel, payload: unknown): void;
    setStatus(s: TransportStatus): void;
    answer(channel: RequestChannel, fn: (payload: unknown) => Promise<unknown>): void;
    calls: typeof calls;
  } = {
    kind: 'ws',
    calls,
    invoke: (channel, payload) => {
      calls.push({ channel, payload });
      const a = answers.get(channel);
      return (a ? a(payload) : Promise.reject(new Error(`unexpected ${channel}`))) as never;
    },
    subscribe: (channel, listener) => {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(listener as (p: unknown) => void);
      return () => void set.delete(listener as (p: unknown) => void);
    },
    onStatus: (l) => {
      statusListeners.add(l);
      l(status);
      return () => void statusListeners.delete(l);
    },
    close: () => undefined,
    emit: (channel, payload) => {
      for (const l of listeners.get(channel) ?? []) l(payload);
    },
    setStatus: (s) => {
      status = s;
      for (const l of statusListeners) l(s);
    },
    answer: (channel, fn) => void answers.set(channel, fn),
  };
  return t;
}

const health = {
  overall: 'healthy',
  connectedClusters: 1,
  failing: 0,
  progressing: 0,
  suspended: 0,
  ready: 1,
  unhealthyWorkloads: 0,
  unreadAlerts: 0,
  paused: false,
} as const;
const caps = { shell: 'browser', version: '1', platform: 'linux', tray: false, notifications: false } as const;

function answerBoot(
  t: ReturnType<typeof fakeTransport>,
  snapshot: () => Promise<GraphSnapshot>,
  clusters: ClusterInfo[] = [clusterInfo('prod', 'connected')],
): void {
  t.answer('app:capabilities', () => Promise.resolve(caps));
  t.answer('clusters:list', () => Promise.resolve(clusters));
  t.answer('app:health', () => Promise.resolve(health));
  t.answer('graph:snapshot', snapshot);
  t.answer('inbox:state', () => Promise.resolve({ counts: noCounts, mutes: [] }));
}

const noCounts = { unread: 0, unreadErrors: 0, unreadByCluster: {} };

const a1 = fluxObject('Kustomization', 'apps', {
  resourceVersion: '5',
  sourceRef: {
    group: 'source.toolkit.fluxcd.io',
    kind: 'GitRepository',
    namespace: 'flux-system',
    name: 'flux-system',
  },
});
const delta = (d: Partial<GraphDelta>): GraphDelta => ({ objects: [], workloads: [], removed: [], ...d });

describe('the bridge between transport and store', () => {
  let stop: (() => void) | undefined;
  beforeEach(() => useAppStore.setState(initialState, true));
  afterEach(() => {
    stop?.();
    stop = undefined;
  });

  it('holds deltas that arrive before the snapshot and applies them after it, newest version winning', async () => {
    const t = fakeTransport();
    let release!: (s: GraphSnapshot) => void;
    answerBoot(t, () => new Promise((r) => (release = r)));
    stop = startBridge(t);
    t.setStatus('open');
    t.emit('graph:onDelta', delta({ objects: [{ ...a1, resourceVersion: '7', suspended: true }] }));
    const b = fluxObject('Kustomization', 'new-one');
    t.emit('graph:onDelta', delta({ objects: [b] }));
    expect(useAppStore.getState().objects).toEqual({});
    await vi.waitFor(() => expect(release).toBeDefined());
    release({ objects: [a1], workloads: [] });
    await vi.waitFor(() => expect(useAppStore.getState().synced).toBe(true));
    const s = useAppStore.getState();
    expect(s.objects[a1.uid]?.resourceVersion).toBe('7');
    expect(s.objects[b.uid]).toBeDefined();
    expect(s.clusterOrder).toEqual(['prod']);
    expect(s.health).toEqual(health);
  });

  it('applies deltas directly once synced, and drops a disconnected cluster’s objects', async () => {
    const t = fakeTransport();
    answerBoot(t, () => Promise.resolve({ objects: [a1], workloads: [] }));
    stop = startBridge(t);
    t.setStatus('open');
    await vi.waitFor(() => expect(useAppStore.getState().synced).toBe(true));
    t.emit('graph:onDelta', delta({ removed: [{ what: 'object', uid: a1.uid, cluster: 'prod' }] }));
    expect(useAppStore.getState().objects).toEqual({});
    t.emit('graph:onDelta', delta({ objects: [a1] }));
    t.emit('clusters:onChanged', [clusterInfo('prod', 'disconnected')]);
    expect(useAppStore.getState().objects).toEqual({});
    expect(useAppStore.getState().clusters.prod?.state).toBe('disconnected');
  });

  it('asks for a fresh snapshot after the connection comes back, and never polls otherwise', async () => {
    vi.useFakeTimers();
    try {
      const t = fakeTransport();
      answerBoot(t, () => Promise.resolve({ objects: [a1], workloads: [] }));
      stop = startBridge(t);
      t.setStatus('open');
      await vi.runAllTimersAsync();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(t.calls.filter((c) => c.channel === 'graph:snapshot')).toHaveLength(1);
      t.setStatus('closed');
      t.setStatus('open');
      await vi.runAllTimersAsync();
      expect(t.calls.filter((c) => c.channel === 'graph:snapshot')).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reconciles the selected object, shows progress, and reports the result', async () => {
    const t = fakeTransport();
    answerBoot(t, () => Promise.resolve({ objects: [a1], workloads: [] }));
    t.answer('objects:get', () => Promise.resolve({ key: {}, yaml: '', events: [] }));
    let finish!: (v: unknown) => void;
    t.answer('flux:reconcile', (payload) => {
      const { actionId, key } = payload as { actionId: string; key: unknown };
      t.emit('actions:onProgress', { actionId, key, phase: 'waiting', message: 'waiting for Ready', at: 'now' });
      return new Promise(
        (r) =>
          (finish = () =>
            r({
              actionId,
              key,
              action: 'reconcile',
              ok: true,
              message: 'applied revision main@sha1:1',
              durationMs: 5,
            })),
      );
    });
    stop = startBridge(t);
    t.setStatus('open');
    await vi.waitFor(() => expect(useAppStore.getState().synced).toBe(true));
    const nodeId = nodeIdOf(a1);
    select(nodeId);
    const done = reconcile(nodeId, true);
    await vi.waitFor(() => expect(finish).toBeDefined());
    const running = Object.values(useAppStore.getState().actions);
    expect(running).toEqual([expect.objectContaining({ nodeId, phase: 'waiting', message: 'waiting for Ready' })]);
    const sent = t.calls.find((c) => c.channel === 'flux:reconcile')?.payload;
    expect(sent).toMatchObject({
      key: { cluster: 'prod', kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
      withSource: true,
    });
    finish(undefined);
    await done;
    expect(Object.values(useAppStore.getState().actions)[0]).toMatchObject({ ok: true, phase: 'succeeded' });
    expect(useAppStore.getState().notices.at(-1)).toMatchObject({ tone: 'success' });
  });

  it('turns a refused action into a notice that says what to do', async () => {
    const t = fakeTransport();
    answerBoot(t, () => Promise.resolve({ objects: [{ ...a1, suspended: false }], workloads: [] }));
    t.answer('flux:suspend', () =>
      Promise.reject(new ApiError({ code: 'forbidden', message: 'kustomizations "apps" is forbidden' })),
    );
    stop = startBridge(t);
    t.setStatus('open');
    await vi.waitFor(() => expect(useAppStore.getState().synced).toBe(true));
    await toggleSuspend(nodeIdOf(a1));
    const notice = useAppStore.getState().notices.at(-1);
    expect(notice).toMatchObject({ tone: 'error', message: 'kustomizations "apps" is forbidden' });
    expect(notice?.hint).toMatch(/RBAC/);
    expect(Object.values(useAppStore.getState().actions)[0]).toMatchObject({ ok: false, phase: 'failed' });
  });

  it('refetches the selected object’s YAML and events when a delta changes it', async () => {
    const t = fakeTransport();
    answerBoot(t, () => Promise.resolve({ objects: [a1], workloads: [] }));
    let gets = 0;
    t.answer('objects:get', () => Promise.resolve({ key: {}, yaml: `v${++gets}`, events: [] }));
    stop = startBridge(t, { detailRefreshMs: 10 });
    t.setStatus('open');
    await vi.waitFor(() => expect(useAppStore.getState().synced).toBe(true));
    select(nodeIdOf(a1));
    await vi.waitFor(() => expect(useAppStore.getState().detail?.detail?.yaml).toBe('v1'));
    t.emit('graph:onDelta', delta({ objects: [{ ...a1, resourceVersion: '9' }] }));
    await vi.waitFor(() => expect(useAppStore.getState().detail?.detail?.yaml).toBe('v2'));
  });

  it('shows a moved-aside inbox database once, and tells main it was shown', async () => {
    const t = fakeTransport();
    answerBoot(t, () => Promise.resolve({ objects: [], workloads: [] }));
    t.answer('inbox:state', () =>
      Promise.resolve({ counts: noCounts, mutes: [], notice: 'inbox.db was moved to inbox.db.newer-20260101T000000Z' }),
    );
    t.answer('inbox:dismissNotice', () => Promise.resolve({}));
    stop = startBridge(t);
    t.setStatus('open');
    await vi.waitFor(() => expect(t.calls.some((c) => c.channel === 'inbox:dismissNotice')).toBe(true));
    const notices = useAppStore.getState().notices;
    expect(notices).toHaveLength(1);
    expect(notices[0]?.message).toContain('inbox.db.newer');
  });

  it('follows pushed inbox deltas: the badge count, the list, and a re-list when main asks for one', async () => {
    const t = fakeTransport();
    answerBoot(t, () => Promise.resolve({ objects: [], workloads: [] }));
    const item = {
      id: 7,
      rule: 'reconcile-failed',
      severity: 'error',
      cluster: 'prod',
      object: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
      reason: 'BuildFailed',
      message: 'missing.yaml',
      count: 1,
      firstSeen: '2026-01-01T00:00:00Z',
      lastSeen: '2026-01-01T00:00:00Z',
      read: false,
      acknowledged: false,
      muted: false,
    } as const;
    let lists = 0;
    t.answer('inbox:list', () => {
      lists++;
      return Promise.resolve({ items: [], total: 0 });
    });
    stop = startBridge(t);
    t.setStatus('open');
    await vi.waitFor(() => expect(useAppStore.getState().synced).toBe(true));
    showInbox();
    await vi.waitFor(() => expect(useAppStore.getState().inboxStatus).toBe('ready'));
    expect(lists).toBe(1);
    const counts = { unread: 1, unreadErrors: 1, unreadByCluster: { prod: 1 } };
    t.emit('inbox:onChanged', { items: [item], counts, refresh: false });
    expect(useAppStore.getState().inboxCounts.unread).toBe(1);
    expect(useAppStore.getState().inboxOrder).toEqual([7]);
    expect(lists).toBe(1);
    t.emit('inbox:onChanged', { items: [], counts: noCounts, refresh: true, mutes: [] });
    await vi.waitFor(() => expect(lists).toBe(2));
  });
});

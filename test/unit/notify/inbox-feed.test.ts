import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { EventBus } from '../../../main/engine/event-bus.ts';
import type { AuthHealth } from '../../../main/kube/auth-health.ts';
import type { FluxEvent, ReconcileFinished } from '../../../main/notify/alert-rules.ts';
import {
  type FeedClusters,
  type FeedSession,
  type InboxFeed,
  startInboxFeed,
} from '../../../main/notify/inbox-feed.ts';
import { openInbox, type SqliteInbox } from '../../../main/notify/inbox-store.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';

const HOUR = 3600_000;
const KS = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' };
const GIT = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository' };

interface Events {
  'flux.event': FluxEvent;
  'reconcile.finished': ReconcileFinished;
}

let clock: number;
let inbox: SqliteInbox;
let bus: EventBus<Events>;
let objects: Map<string, KubeObject[]>;
let full: Map<string, KubeObject>;
let synced: boolean;
let watching: boolean;
let health: Map<string, AuthHealth>;
let listeners: Set<() => void>;
let feed: InboxFeed;

const session: FeedSession = {
  context: 'prod',
  client: {
    tryGet: <T extends KubeObject>(key: { name: string }) => Promise.resolve(full.get(key.name) as T | undefined),
  },
  cachedTypes: () => (watching ? [KS, GIT] : [GIT]),
  cache: (type) => ({
    list: () => (synced ? (objects.get(type.kind) ?? []) : []),
    synced: () => (synced ? Promise.resolve() : new Promise<void>(() => undefined)),
  }),
};

const clusters: FeedClusters = {
  connected: () => [session],
  contexts: () => [...health.values()].map((h) => ({ name: h.context, authHealth: h })),
  onChange: (l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

const suspendedKs = (name: string): KubeObject => ({
  ...KS,
  metadata: { name, namespace: 'flux-system', uid: `uid-${name}` },
  spec: { suspend: true },
});

beforeEach(() => {
  clock = Date.parse('2025-03-10T12:00:00Z');
  inbox = openInbox(':memory:', { now: () => clock }).inbox;
  bus = new EventBus<Events>();
  objects = new Map();
  full = new Map();
  synced = true;
  watching = true;
  health = new Map();
  listeners = new Set();
  feed = startInboxFeed({
    inbox,
    events: bus,
    clusters,
    kinds: { sources: [GIT], suspendable: [GIT, KS] },
    now: () => clock,
    syncWaitMs: 10,
  });
});
afterEach(() => {
  feed.stop();
  inbox.close();
});

describe('inbox feed', () => {
  it('records Warning events and reconcile errors from the bus, and stops listening when stopped', () => {
    bus.emit('flux.event', {
      cluster: 'prod',
      object: { ...KS, namespace: 'flux-system', name: 'apps' },
      type: 'Warning',
      reason: 'BuildFailed',
      message: 'kustomize build failed',
      controller: 'kustomize-controller',
      timestamp: new Date(clock).toISOString(),
    });
    bus.emit('reconcile.finished', {
      cluster: 'prod',
      kind: 'GitRepository',
      namespace: 'flux-system',
      name: 'fleet',
      error: 'boom',
    });
    expect(inbox.list().items.map((i) => [i.rule, i.reason])).toEqual([
      ['reconcile-failed', 'ReconcileError'],
      ['reconcile-failed', 'BuildFailed'],
    ]);
    feed.stop();
    bus.emit('reconcile.finished', {
      cluster: 'prod',
      kind: 'GitRepository',
      namespace: 'flux-system',
      name: 'x',
      error: 'boom',
    });
    expect(inbox.list().total).toBe(2);
  });

  it('raises "suspended" from the time in managedFields, and resolves it when resumed', async () => {
    objects.set('Kustomization', [suspendedKs('apps')]);
    full.set('apps', {
      ...suspendedKs('apps'),
      metadata: {
        ...suspendedKs('apps').metadata,
        managedFields: [
          {
            manager: 'flux',
            operation: 'Update',
            time: new Date(clock - 30 * HOUR).toISOString(),
            fieldsV1: { 'f:spec': { 'f:suspend': {} } },
          },
        ],
      },
    });
    await feed.evaluate(); // first sighting: the managedFields lookup runs in the background
    await feed.evaluate();
    const [item] = inbox.list({ rule: 'suspended' }).items;
    expect(item).toMatchObject({ object: { kind: 'Kustomization', name: 'apps' }, severity: 'warning' });
    expect(item?.message).toContain('suspended since 2025-03-09T06:00:00Z');

    objects.set('Kustomization', [{ ...suspendedKs('apps'), spec: { suspend: false } }]);
    await feed.evaluate();
    expect(inbox.get(item?.id ?? 0)?.resolvedAt).toBe(new Date(clock).toISOString());
  });

  it('counts a suspension without managedFields from its first sighting', async () => {
    objects.set('Kustomization', [suspendedKs('apps')]);
    await feed.evaluate();
    clock += 23 * HOUR;
    await feed.evaluate();
    expect(inbox.list({ rule: 'suspended' }).total).toBe(0);
    clock += 2 * HOUR;
    await feed.evaluate();
    expect(inbox.list({ rule: 'suspended' }).total).toBe(1);
  });

  it('leaves open conditions alone while a cache has not synced, or a kind is not watched', async () => {
    objects.set('GitRepository', [
      {
        ...GIT,
        metadata: { name: 'fleet', namespace: 'flux-system', creationTimestamp: '2025-03-01T00:00:00Z' },
        spec: {},
        status: {
          conditions: [
            { type: 'Ready', status: 'False', lastTransitionTime: '2025-03-10T10:00:00Z', message: 'auth failed' },
          ],
        },
      },
    ]);
    await feed.evaluate();
    expect(inbox.list({ rule: 'source-stale', open: true }).total).toBe(1);
    synced = false;
    await feed.evaluate();
    expect(inbox.list({ rule: 'source-stale', open: true }).total).toBe(1);
    synced = true;
    watching = false;
    await feed.evaluate();
    expect(inbox.list({ rule: 'source-stale', open: true }).total).toBe(1);
  });

  it('follows auth health as it changes', () => {
    health.set('prod', {
      context: 'prod',
      method: 'token',
      state: 'failing',
      lastError: { at: '2025-03-10T11:00:00Z', message: 'Unauthorized', reason: 'Unauthorized' },
    });
    for (const l of listeners) l();
    expect(inbox.list({ rule: 'cluster-auth', open: true }).items.map((i) => i.cluster)).toEqual(['prod']);
    health.set('prod', { context: 'prod', method: 'token', state: 'ok' });
    for (const l of listeners) l();
    expect(inbox.list({ rule: 'cluster-auth', open: true }).total).toBe(0);
    expect(inbox.list({ rule: 'cluster-auth' }).total).toBe(1);
  });
});

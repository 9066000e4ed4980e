import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openInbox, type SqliteInbox } from '../../../main/notify/inbox-store.ts';
import type { AlertInput, InboxChange } from '../../../main/notify/inbox-types.ts';

let dir: string;
let clock: number;
const now = (): number => clock;
const open = (opts: Parameters<typeof openInbox>[1] = {}): SqliteInbox =>
  openInbox(join(dir, 'inbox.db'), { now, ...opts }).inbox;

const failed = (over: Partial<AlertInput> = {}): AlertInput => ({
  rule: 'reconcile-failed',
  severity: 'error',
  cluster: 'prod',
  object: {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    namespace: 'flux-system',
    name: 'apps',
  },
  reason: 'HealthCheckFailed',
  message: 'health check failed after 1m0.2s: timeout waiting for: [Deployment/apps/web status: InProgress]',
  source: 'kustomize-controller',
  ...over,
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fluxdeck-inbox-'));
  clock = Date.parse('2025-03-01T10:00:00Z');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('inbox store', () => {
  it('counts repeats within the window up, even when only durations in the message differ', () => {
    const inbox = open();
    const first = inbox.record(failed());
    clock += 60_000;
    const again = inbox.record(failed({ message: failed().message.replace('1m0.2s', '1m0.9s') }));
    expect(again.id).toBe(first.id);
    expect(again.count).toBe(2);
    expect(again.message).toContain('1m0.9s');
    expect(again.firstSeen).toBe(first.firstSeen);
    expect(again.lastSeen).toBe(new Date(clock).toISOString());
    expect(inbox.list().total).toBe(1);
    inbox.close();
  });

  it('adds a new item after the window, and for another reason, object or cluster', () => {
    const inbox = open({ groupWindowMs: 10 * 60_000 });
    const first = inbox.record(failed());
    clock += 11 * 60_000;
    expect(inbox.record(failed()).id).not.toBe(first.id);
    inbox.record(failed({ reason: 'BuildFailed' }));
    inbox.record(failed({ object: { kind: 'Kustomization', namespace: 'flux-system', name: 'infra' } }));
    inbox.record(failed({ cluster: 'staging' }));
    expect(inbox.list().total).toBe(5);
    inbox.close();
  });

  it('filters by cluster, kind, severity, unread and text', () => {
    const inbox = open();
    inbox.record(failed());
    inbox.record(
      failed({
        cluster: 'staging',
        object: { kind: 'GitRepository', namespace: 'flux-system', name: 'fleet' },
        reason: 'GitOperationFailed',
        message: 'failed to checkout and determine revision: unable to clone',
      }),
    );
    const warn = inbox.record(
      failed({ rule: 'warning', severity: 'warning', reason: 'DependencyNotReady', message: 'x' }),
    );
    expect(inbox.list({ cluster: 'staging' }).items.map((i) => i.object?.name)).toEqual(['fleet']);
    expect(inbox.list({ kind: 'GitRepository' }).total).toBe(1);
    expect(inbox.list({ severity: 'warning' }).items.map((i) => i.id)).toEqual([warn.id]);
    expect(inbox.list({ severity: ['error', 'warning'], cluster: ['prod', 'staging'] }).total).toBe(3);
    expect(inbox.list({ text: 'UNABLE TO CLONE' }).items.map((i) => i.object?.name)).toEqual(['fleet']);
    expect(inbox.list({ text: 'flux-system/apps' }).total).toBe(2);
    inbox.markRead([warn.id]);
    expect(inbox.list({ unread: true }).total).toBe(2);
    expect(inbox.list({ unread: false }).items.map((i) => i.id)).toEqual([warn.id]);
    expect(inbox.list({ kind: [] }).total).toBe(0);
    inbox.close();
  });

  it('pages newest activity first', () => {
    const inbox = open();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      clock += 1000;
      ids.push(inbox.record(failed({ reason: `R${i}` })).id);
    }
    const page1 = inbox.list({ limit: 2 });
    const page2 = inbox.list({ limit: 2, offset: 2 });
    expect(page1.total).toBe(5);
    expect([...page1.items, ...page2.items].map((i) => i.id)).toEqual(ids.reverse().slice(0, 4));
    inbox.close();
  });

  it('keeps read and acknowledged state across closing and reopening the file', () => {
    const inbox = open();
    const a = inbox.record(failed());
    const b = inbox.record(failed({ reason: 'BuildFailed' }));
    inbox.record(failed({ reason: 'PruneFailed' }));
    expect(inbox.acknowledge([a.id])).toBe(1);
    expect(inbox.acknowledge([a.id])).toBe(0);
    inbox.markRead([b.id]);
    inbox.close();

    const reopened = open();
    const [ra, rb] = [reopened.get(a.id), reopened.get(b.id)];
    expect(ra).toMatchObject({ acknowledged: true, read: true, acknowledgedAt: new Date(clock).toISOString() });
    expect(rb).toMatchObject({ acknowledged: false, read: true });
    expect(reopened.counts().unread).toBe(1);
    expect(reopened.acknowledge([a.id], false)).toBe(1);
    expect(reopened.get(a.id)).toMatchObject({ acknowledged: false, read: true });
    reopened.close();
  });

  it('a repeat of an acknowledged item stays acknowledged and read', () => {
    const inbox = open();
    const a = inbox.record(failed());
    inbox.acknowledge([a.id]);
    const again = inbox.record(failed());
    expect(again).toMatchObject({ id: a.id, count: 2, acknowledged: true, read: true });
    expect(inbox.counts().unread).toBe(0);
    inbox.close();
  });

  it('mutes an object or a whole cluster: muted items do not count as unread, unmuting brings them back', () => {
    const inbox = open();
    const apps = inbox.record(failed());
    inbox.record(failed({ object: { kind: 'Kustomization', namespace: 'flux-system', name: 'infra' } }));
    inbox.record(failed({ cluster: 'staging' }));
    expect(inbox.counts()).toEqual({ unread: 3, unreadErrors: 3, unreadByCluster: { prod: 2, staging: 1 } });

    const rule = inbox.mute({
      cluster: 'prod',
      object: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
    });
    expect(inbox.get(apps.id)?.muted).toBe(true);
    expect(inbox.counts().unreadByCluster).toEqual({ prod: 1, staging: 1 });
    expect(inbox.list({ muted: false }).total).toBe(2);
    // A new item for a muted object arrives muted.
    expect(inbox.record(failed({ reason: 'BuildFailed' })).muted).toBe(true);

    const cluster = inbox.mute({ cluster: 'staging' });
    expect(inbox.counts()).toEqual({ unread: 1, unreadErrors: 1, unreadByCluster: { prod: 1 } });
    expect(inbox.mutes().map((m) => m.id)).toEqual([rule.id, cluster.id]);

    expect(inbox.unmute(rule.id)).toBe(true);
    expect(inbox.unmute(rule.id)).toBe(false);
    expect(inbox.counts().unread).toBe(3);
    inbox.close();
    expect(open().mutes()).toEqual([cluster]);
  });

  it('a snooze (mute with until) ends by itself', () => {
    const inbox = open();
    inbox.record(failed());
    inbox.mute({ cluster: 'prod', until: new Date(clock + 3600_000).toISOString() });
    expect(inbox.counts().unread).toBe(0);
    clock += 3600_001;
    expect(inbox.counts().unread).toBe(1);
    expect(inbox.mutes()).toEqual([]);
    expect(() => inbox.mute({ cluster: 'prod', until: 'tomorrow' })).toThrow(/not a time/);
    inbox.close();
  });

  it('opens, updates and resolves conditions, one item per object however often they are synced', () => {
    const inbox = open();
    const changes: InboxChange['type'][] = [];
    inbox.onChange((c) => changes.push(c.type));
    const stale = (name: string, message = `${name} has not fetched`): AlertInput => ({
      rule: 'source-stale',
      severity: 'warning',
      cluster: 'prod',
      object: { kind: 'GitRepository', namespace: 'flux-system', name },
      reason: 'SourceStale',
      message,
    });
    inbox.syncConditions('source-stale', 'prod', [stale('a'), stale('b')]);
    clock += 60_000;
    inbox.syncConditions('source-stale', 'prod', [stale('a'), stale('b', 'b: other error')]);
    expect(inbox.list().items.map((i) => [i.object?.name, i.count, i.message, i.resolvedAt])).toEqual(
      expect.arrayContaining([
        ['a', 1, 'a has not fetched', undefined],
        ['b', 1, 'b: other error', undefined],
      ]),
    );
    inbox.syncConditions('source-stale', 'staging', []);
    expect(inbox.list({ open: true }).total).toBe(2);
    clock += 60_000;
    inbox.syncConditions('source-stale', 'prod', [stale('b', 'b: other error')]);
    const a = inbox.list({ text: 'a has not' }).items[0];
    expect(a?.resolvedAt).toBe(new Date(clock).toISOString());
    // It comes back: a new occurrence, the resolved one stays as history.
    inbox.syncConditions('source-stale', 'prod', [stale('a'), stale('b', 'b: other error')]);
    expect(inbox.list({ open: true }).total).toBe(2);
    expect(inbox.list().total).toBe(3);
    expect(changes).toEqual(['added', 'added', 'repeated', 'resolved', 'added']);
    expect(() => inbox.syncConditions('reconcile-failed', 'prod', [])).toThrow(/not a condition rule/);
    expect(() => inbox.syncConditions('source-stale', 'staging', [stale('a')])).toThrow(/got an alert/);
    inbox.close();
  });

  it('keeps the table bounded by age and by count', () => {
    const inbox = open({ retention: { maxItems: 3, maxAgeMs: 24 * 3600_000 } });
    const old = inbox.record(failed({ reason: 'Old' }));
    clock += 25 * 3600_000;
    for (let i = 0; i < 5; i++) {
      clock += 1000;
      inbox.record(failed({ reason: `R${i}` }));
    }
    expect(inbox.prune()).toBe(3);
    expect(inbox.get(old.id)).toBeUndefined();
    expect(inbox.list().items.map((i) => i.reason)).toEqual(['R4', 'R3', 'R2']);
    inbox.close();
  });

  it('reports changes to listeners, and a throwing listener does not stop the others', () => {
    const inbox = open();
    const seen: string[] = [];
    inbox.onChange(() => {
      throw new Error('boom');
    });
    const off = inbox.onChange((c) => seen.push(c.type));
    const a = inbox.record(failed());
    inbox.record(failed());
    inbox.markRead('all');
    inbox.markRead('all');
    inbox.acknowledge([a.id]);
    inbox.mute({ cluster: 'prod' });
    off();
    inbox.record(failed({ reason: 'Other' }));
    expect(seen).toEqual(['added', 'repeated', 'state', 'state', 'mutes']);
    inbox.close();
  });

  it('stores drift details and searches drifted objects by name', () => {
    const inbox = open();
    const item = inbox.record({
      ...failed(),
      rule: 'drift-corrected',
      severity: 'warning',
      reason: 'DriftCorrected',
      message: 'Drift corrected: Deployment/apps/web: spec.replicas (set by kubectl-edit)',
      drift: [
        {
          subject: 'Deployment/apps/web',
          ref: { group: 'apps', kind: 'Deployment', namespace: 'apps', name: 'web' },
          action: 'configured',
          changes: [{ path: 'spec.replicas', op: 'changed', live: 5, desired: 3, manager: 'kubectl-edit' }],
        },
      ],
    });
    expect(open().get(item.id)?.drift?.[0]?.changes?.[0]).toEqual({
      path: 'spec.replicas',
      op: 'changed',
      live: 5,
      desired: 3,
      manager: 'kubectl-edit',
    });
    expect(inbox.list({ text: 'deployment/apps/web' }).total).toBe(1);
    inbox.close();
  });
});

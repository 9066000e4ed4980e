import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { openInbox, type SqliteInbox } from '../../../main/notify/inbox-store.ts';
import type { AlertInput } from '../../../main/notify/inbox-types.ts';
import { createNotifier, type OsNotification, summarize } from '../../../main/notify/notifier.ts';

let inbox: SqliteInbox;
let shown: OsNotification[];

const failed = (name: string, cluster = 'prod', over: Partial<AlertInput> = {}): AlertInput => ({
  rule: 'reconcile-failed',
  severity: 'error',
  cluster,
  object: { kind: 'Kustomization', namespace: 'flux-system', name },
  reason: 'BuildFailed',
  message: `${name}: kustomize build failed`,
  ...over,
});

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2025-03-10T12:00:00Z') });
  inbox = openInbox(':memory:').inbox;
  shown = [];
});
afterEach(() => {
  inbox.close();
  vi.useRealTimers();
});

describe('notifier', () => {
  it('shows a first error after a short gathering delay, alone', () => {
    const n = createNotifier({ inbox, show: (x) => shown.push(x) });
    inbox.record(failed('apps'));
    expect(shown).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(shown).toEqual([
      {
        title: 'Reconcile failed: Kustomization flux-system/apps',
        body: 'prod: apps: kustomize build failed',
        itemIds: [1],
        cluster: 'prod',
        severity: 'error',
      },
    ]);
    n.stop();
  });

  it('shows at most one notification per interval and groups what came in between', () => {
    const n = createNotifier({ inbox, show: (x) => shown.push(x), intervalMs: 30_000 });
    inbox.record(failed('a'));
    vi.advanceTimersByTime(1000);
    expect(shown).toHaveLength(1);
    vi.advanceTimersByTime(5000);
    inbox.record(failed('b'));
    inbox.record(failed('c'));
    inbox.record(failed('d'));
    // The first one was shown at 1 s, so the next may show at 31 s.
    vi.advanceTimersByTime(24_999);
    expect(shown).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(shown).toHaveLength(2);
    expect(shown[1]).toMatchObject({ title: '3 new errors in prod', itemIds: [4, 3, 2], cluster: 'prod' });
    expect(shown[1]?.body).toBe(
      'Kustomization flux-system/d: BuildFailed\nKustomization flux-system/c: BuildFailed\nKustomization flux-system/b: BuildFailed',
    );
    n.stop();
  });

  it('does not notify for repeats, warnings (by default), muted or acknowledged items', () => {
    const n = createNotifier({ inbox, show: (x) => shown.push(x) });
    const first = inbox.record(failed('a'));
    vi.advanceTimersByTime(60_000);
    shown.length = 0;
    inbox.record(failed('a'));
    inbox.record(failed('w', 'prod', { rule: 'warning', severity: 'warning', reason: 'DependencyNotReady' }));
    inbox.mute({ cluster: 'muted' });
    inbox.record(failed('m', 'muted'));
    vi.advanceTimersByTime(60_000);
    expect(shown).toEqual([]);
    expect(inbox.get(first.id)?.count).toBe(2);
    n.stop();
  });

  it('names the clusters when errors come from several, and stops cleanly', () => {
    const n = createNotifier({ inbox, show: (x) => shown.push(x), severities: ['error', 'warning'] });
    inbox.record(failed('a', 'prod'));
    inbox.record(failed('b', 'staging', { severity: 'warning', rule: 'warning' }));
    n.flush();
    expect(shown[0]).toMatchObject({ title: '2 new alerts in 2 clusters', severity: 'error' });
    expect(shown[0]?.cluster).toBeUndefined();
    expect(shown[0]?.body).toContain('(staging)');
    n.stop();
    inbox.record(failed('c'));
    vi.advanceTimersByTime(60_000);
    expect(shown).toHaveLength(1);
  });

  it('summarizes more items than it lists', () => {
    const items = ['a', 'b', 'c', 'd', 'e'].map((name) => inbox.record(failed(name)));
    const s = summarize(items);
    expect(s.title).toBe('5 new errors in prod');
    expect(s.body.split('\n')).toHaveLength(4);
    expect(s.body).toMatch(/and 2 more$/);
    expect(() => summarize([])).toThrow();
  });
});

describe('notifier with the local filter', () => {
  it('asks the filter for each new item instead of the severities, so a changed setting applies to the next item', () => {
    let allowed = 'apps';
    const n = createNotifier({ inbox, show: (x) => shown.push(x), allows: (i) => i.object?.name === allowed });
    inbox.record(failed('web'));
    inbox.record(failed('apps', 'prod', { severity: 'warning', rule: 'warning' }));
    vi.advanceTimersByTime(1000);
    expect(shown.map((s) => s.itemIds)).toEqual([[2]]);
    allowed = 'web';
    inbox.record(failed('web', 'prod', { message: 'another failure' }));
    vi.advanceTimersByTime(30_000);
    expect(shown.map((s) => s.title)).toEqual([
      'Warning: Kustomization flux-system/apps',
      'Reconcile failed: Kustomization flux-system/web',
    ]);
    n.stop();
  });
});

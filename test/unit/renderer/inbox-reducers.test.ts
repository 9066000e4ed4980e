import { describe, expect, it } from 'vitest';

import type { InboxDelta, InboxItem } from '../../../main/contract/index.ts';
import {
  applyInboxDelta,
  applyInboxPage,
  INBOX_PAGE,
  matchesFilter,
  toInboxFilter,
} from '../../../renderer/store/inbox-reducers.ts';
import { DEFAULT_INBOX_FILTER, type InboxViewFilter } from '../../../renderer/store/slices/inbox.ts';

const item = (id: number, over: Partial<InboxItem> = {}): InboxItem => ({
  id,
  rule: 'reconcile-failed',
  severity: 'error',
  cluster: 'prod',
  object: { kind: 'Kustomization', namespace: 'flux-system', name: `ks-${id}` },
  reason: 'BuildFailed',
  message: 'accumulating resources: missing.yaml',
  count: 1,
  firstSeen: `2026-01-01T00:00:0${id}Z`,
  lastSeen: `2026-01-01T00:00:0${id}Z`,
  read: false,
  acknowledged: false,
  muted: false,
  ...over,
});
const counts = { unread: 0, unreadErrors: 0, unreadByCluster: {} };
const delta = (items: InboxItem[], refresh = false): InboxDelta => ({ items, counts, refresh });
const filter = (over: Partial<InboxViewFilter> = {}): InboxViewFilter => ({ ...DEFAULT_INBOX_FILTER, ...over });

describe('the inbox filter', () => {
  it('asks main for what the view shows', () => {
    expect(toInboxFilter(filter())).toEqual({ limit: INBOX_PAGE, acknowledged: false });
    expect(
      toInboxFilter(
        filter({ cluster: 'prod', kind: 'Kustomization', severity: 'error', text: '  web ', state: 'unread' }),
      ),
    ).toEqual({
      limit: INBOX_PAGE,
      cluster: 'prod',
      kind: 'Kustomization',
      severity: 'error',
      text: 'web',
      unread: true,
    });
    expect(toInboxFilter(filter({ state: 'all' }))).toEqual({ limit: INBOX_PAGE });
  });

  it('tells whether a pushed item belongs in the list as main would', () => {
    expect(matchesFilter(item(1), filter())).toBe(true);
    expect(matchesFilter(item(1, { acknowledged: true }), filter())).toBe(false);
    expect(matchesFilter(item(1, { acknowledged: true }), filter({ state: 'all' }))).toBe(true);
    expect(matchesFilter(item(1, { muted: true }), filter({ state: 'unread' }))).toBe(false);
    expect(matchesFilter(item(1), filter({ cluster: 'staging' }))).toBe(false);
    expect(matchesFilter(item(1), filter({ severity: 'warning' }))).toBe(false);
    expect(matchesFilter(item(1), filter({ text: 'MISSING' }))).toBe(true);
    const drift = item(2, {
      rule: 'drift-corrected',
      message: 'drift corrected',
      drift: [
        {
          subject: 'Deployment/web/api',
          ref: { group: 'apps', kind: 'Deployment', namespace: 'web', name: 'api' },
          action: 'configured',
        },
      ],
    });
    expect(matchesFilter(drift, filter({ text: 'api' }))).toBe(true);
    expect(matchesFilter(drift, filter({ kind: 'GitRepository' }))).toBe(false);
  });
});

describe('the inbox list', () => {
  it('follows deltas: new matching items join at their place, changed ones leave when they stop matching', () => {
    const page = applyInboxPage(
      { inboxItems: {}, inboxOrder: [], inboxTotal: 0 },
      { items: [item(3), item(1)], total: 2 },
    );
    expect(page.inboxOrder).toEqual([3, 1]);
    const added = applyInboxDelta(page, delta([item(2), item(4)]), filter());
    expect(added.inboxOrder).toEqual([4, 3, 2, 1]);
    expect(added.inboxTotal).toBe(4);
    const acked = applyInboxDelta(added, delta([item(3, { acknowledged: true, read: true })]), filter());
    expect(acked.inboxOrder).toEqual([4, 2, 1]);
    expect(acked.inboxTotal).toBe(3);
    expect(acked.inboxItems[3]?.acknowledged).toBe(true);
    // A repeat moves the item up by its new activity.
    const repeated = applyInboxDelta(acked, delta([item(1, { count: 2, lastSeen: '2026-01-01T00:00:09Z' })]), filter());
    expect(repeated.inboxOrder).toEqual([1, 4, 2]);
  });

  it("keeps what was pushed while a page was being read over the page's older copies", () => {
    const empty = { inboxItems: {}, inboxOrder: [], inboxTotal: 0 };
    const repeat = item(1, { count: 2, message: 'deploy/kustomization.yaml: missing.yaml does not exist' });
    const acked = item(2, { acknowledged: true, read: true });
    const stalePage = { items: [item(2), item(1, { message: 'Source artifact not found' })], total: 2 };
    const state = applyInboxPage(empty, stalePage, { deltas: [delta([repeat]), delta([acked])], filter: filter() });
    expect(state.inboxItems[1]?.message).toBe(repeat.message);
    expect(state.inboxItems[1]?.count).toBe(2);
    // Acknowledged meanwhile: it leaves the Open list the page still had it in.
    expect(state.inboxOrder).toEqual([1]);
    expect(state.inboxTotal).toBe(1);
  });

  it('returns the same state for a delta without items', () => {
    const state = { inboxItems: {}, inboxOrder: [], inboxTotal: 0 };
    expect(applyInboxDelta(state, delta([], true), filter())).toBe(state);
  });
});

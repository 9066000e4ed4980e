/**
 * Pure inbox state: the view's filter as main's InboxFilter, whether an item belongs in the list, and how a page
 * or a pushed delta changes the list (items by id, the order newest first, the total).
 */
import type { InboxDelta, InboxFilter, InboxItem, InboxPage } from '../../main/contract/index.ts';
import type { InboxViewFilter } from './slices/inbox.ts';

/** The list holds this many items; the total says how many more match. */
export const INBOX_PAGE = 200;

export function toInboxFilter(f: InboxViewFilter): InboxFilter {
  return {
    limit: INBOX_PAGE,
    ...(f.cluster && { cluster: f.cluster }),
    ...(f.kind && { kind: f.kind }),
    ...(f.severity && { severity: f.severity }),
    ...(f.text.trim() && { text: f.text.trim() }),
    ...(f.state === 'open' && { acknowledged: false }),
    ...(f.state === 'unread' && { unread: true }),
  };
}

/** The same test main's filter makes, for items pushed after the page was read. */
export function matchesFilter(item: InboxItem, f: InboxViewFilter): boolean {
  if (f.cluster && item.cluster !== f.cluster) return false;
  if (f.kind && item.object?.kind !== f.kind) return false;
  if (f.severity && item.severity !== f.severity) return false;
  if (f.state === 'open' && item.acknowledged) return false;
  if (f.state === 'unread' && (item.read || item.muted)) return false;
  const text = f.text.trim().toLowerCase();
  if (!text) return true;
  const haystack = [
    item.message,
    item.reason,
    item.object?.name ?? '',
    item.object?.namespace ?? '',
    ...(item.drift ?? []).map((d) => d.ref.name),
  ];
  return haystack.some((h) => h.toLowerCase().includes(text));
}

export interface InboxListState {
  inboxItems: Record<number, InboxItem>;
  inboxOrder: number[];
  inboxTotal: number;
}

const newestFirst =
  (items: Record<number, InboxItem>) =>
  (a: number, b: number): number =>
    (items[b]?.lastSeen ?? '').localeCompare(items[a]?.lastSeen ?? '') || b - a;

/**
 * A page read from main replaces the list (items already known for other reasons are kept). Deltas pushed while the
 * read was in flight may be newer than the page's copies of their items (a repeat's message, an acknowledgement), so
 * they are applied again on top of it.
 */
export function applyInboxPage(
  state: InboxListState,
  page: InboxPage,
  later?: { deltas: readonly InboxDelta[]; filter: InboxViewFilter },
): InboxListState {
  const inboxItems = { ...state.inboxItems };
  for (const item of page.items) inboxItems[item.id] = item;
  const listed: InboxListState = { inboxItems, inboxOrder: page.items.map((i) => i.id), inboxTotal: page.total };
  if (!later) return listed;
  return later.deltas.reduce((next, delta) => applyInboxDelta(next, delta, later.filter), listed);
}

/**
 * A pushed delta: changed items replace theirs; an item that now matches the filter joins the list (at its place
 * by activity), one that no longer does leaves it. The caller re-lists when `delta.refresh` is set.
 */
export function applyInboxDelta(state: InboxListState, delta: InboxDelta, filter: InboxViewFilter): InboxListState {
  if (delta.items.length === 0) return state;
  const inboxItems = { ...state.inboxItems };
  const order = new Set(state.inboxOrder);
  let total = state.inboxTotal;
  for (const item of delta.items) {
    inboxItems[item.id] = item;
    const listed = order.has(item.id);
    const belongs = matchesFilter(item, filter);
    if (belongs && !listed) {
      order.add(item.id);
      total++;
    } else if (!belongs && listed) {
      order.delete(item.id);
      total--;
    }
  }
  return { inboxItems, inboxOrder: [...order].sort(newestFirst(inboxItems)), inboxTotal: Math.max(0, total) };
}

/**
 * What the inbox view can do, outside React: list with a filter, read / acknowledge / mute, jump to the object, and
 * apply what main pushes. Nothing here polls: the list is read when the view or the filter asks, and then follows
 * the pushed deltas (re-read only when main says too much changed to list).
 */
import type { InboxDelta, InboxItem, ObjectRef } from '../../main/contract/index.ts';
import { describeFailure, fire, loadDrift, notify, notifyFailure, showInGraph, transport } from './actions.ts';
import { FLUX_KIND_GROUPS, nodeIdOf } from './ids.ts';
import { applyInboxDelta, applyInboxPage, toInboxFilter } from './inbox-reducers.ts';
import { type AppState, useAppStore } from './index.ts';
import { DEFAULT_INBOX_FILTER, type InboxViewFilter } from './slices/inbox.ts';

const set = (partial: Partial<AppState> | ((s: AppState) => Partial<AppState>)): void => useAppStore.setState(partial);
const get = (): AppState => useAppStore.getState();

let listSeq = 0;
/** Deltas pushed since the newest list read was sent: its page may be older than they are. */
let sinceRead: InboxDelta[] | undefined;

/** Reads the list for the current filter; a later read wins over an earlier slow one. */
export async function loadInbox(quiet = false): Promise<void> {
  const seq = ++listSeq;
  const pushed: InboxDelta[] = [];
  sinceRead = pushed;
  if (!quiet) set({ inboxStatus: 'loading' });
  try {
    const page = await transport().invoke('inbox:list', { filter: toInboxFilter(get().inboxFilter) });
    if (seq !== listSeq) return;
    sinceRead = undefined;
    set((s) => ({
      ...applyInboxPage(s, page, { deltas: pushed, filter: s.inboxFilter }),
      inboxStatus: 'ready',
      inboxError: undefined,
    }));
  } catch (err) {
    if (seq !== listSeq) return;
    sinceRead = undefined;
    set({ inboxStatus: 'error', inboxError: describeFailure(err).message });
  }
}

/** Counts, mute rules and the notice of a moved-aside database (shown once, then dismissed in main). */
export async function loadInboxState(): Promise<void> {
  const state = await transport().invoke('inbox:state', {});
  set({ inboxCounts: state.counts, inboxMutes: state.mutes });
  if (state.notice !== undefined) {
    notify({ tone: 'error', title: 'The alert inbox was reset', message: state.notice });
    await transport().invoke('inbox:dismissNotice', {});
  }
  if (get().inboxStatus !== 'idle') await loadInbox(true);
}

let textTimer: ReturnType<typeof setTimeout> | undefined;

export function setInboxFilter(patch: Partial<InboxViewFilter>): void {
  set((s) => ({ inboxFilter: { ...s.inboxFilter, ...patch } }));
  if (textTimer !== undefined) clearTimeout(textTimer);
  // Typing in the search box asks once it pauses; the other filters ask at once.
  textTimer = setTimeout(
    () => {
      textTimer = undefined;
      fire(loadInbox());
    },
    patch.text !== undefined ? 150 : 0,
  );
}

export function resetInboxFilter(): void {
  setInboxFilter(DEFAULT_INBOX_FILTER);
}

/** The inbox view, with `itemIds[0]` selected when given (an OS notification was clicked). */
export function showInbox(itemIds?: readonly number[]): void {
  set({ view: 'inbox', ...(itemIds?.[0] !== undefined && { inboxSelected: itemIds[0] }) });
  fire(loadInbox(get().inboxStatus === 'ready'));
  if (itemIds?.[0] !== undefined) fire(markRead([itemIds[0]], true));
}

/** Selects an item; reading it marks it read. */
export function selectInboxItem(id: number | undefined): void {
  set({ inboxSelected: id });
  const item = id === undefined ? undefined : get().inboxItems[id];
  if (item && !item.read) fire(markRead([item.id], true));
}

async function request(title: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    notifyFailure(title, err);
  }
}

export const markRead = (ids: readonly number[] | 'all', read: boolean): Promise<void> =>
  request('Could not change the read state', () =>
    transport().invoke('inbox:markRead', { ids: ids === 'all' ? 'all' : [...ids], read }),
  );

export const acknowledge = (ids: readonly number[], acknowledged: boolean): Promise<void> =>
  request('Could not acknowledge', () => transport().invoke('inbox:acknowledge', { ids: [...ids], acknowledged }));

export const muteObject = (item: InboxItem): Promise<void> =>
  request('Could not mute', async () => {
    if (!item.object) return;
    const { kind, namespace, name } = item.object;
    await transport().invoke('inbox:mute', { scope: { cluster: item.cluster, object: { kind, namespace, name } } });
  });

export const muteCluster = (cluster: string): Promise<void> =>
  request('Could not mute', () => transport().invoke('inbox:mute', { scope: { cluster } }));

export const unmute = (id: number): Promise<void> =>
  request('Could not unmute', () => transport().invoke('inbox:unmute', { id }));

function groupOfAlert(object: NonNullable<InboxItem['object']> | ObjectRef): string {
  if ('group' in object) return object.group;
  if (Object.hasOwn(FLUX_KIND_GROUPS, object.kind))
    return FLUX_KIND_GROUPS[object.kind as keyof typeof FLUX_KIND_GROUPS];
  const v = object.apiVersion ?? '';
  return v.includes('/') ? v.slice(0, v.indexOf('/')) : '';
}

/** The graph node of an item's object (or of a drifted object). */
export function nodeIdOfAlert(cluster: string, object: InboxItem['object'] | ObjectRef): string | undefined {
  if (!object) return undefined;
  return nodeIdOf({
    cluster,
    group: groupOfAlert(object),
    kind: object.kind,
    namespace: object.namespace,
    name: object.name,
  });
}

/** Jumps to the object in the graph and opens its panel (on the Drift tab for a drift). */
export function jumpTo(cluster: string, object: InboxItem['object'] | ObjectRef, tab?: 'drift'): void {
  const nodeId = nodeIdOfAlert(cluster, object);
  if (nodeId === undefined) return;
  showInGraph(nodeId);
  if (tab) set({ panelTab: tab });
}

/** Applies a pushed delta; re-lists when main says so, and refreshes the panel's drift when new drift arrived. */
export function onInboxDelta(delta: InboxDelta): void {
  sinceRead?.push(delta);
  set((s) => ({
    ...applyInboxDelta(s, delta, s.inboxFilter),
    inboxCounts: delta.counts,
    ...(delta.mutes && { inboxMutes: delta.mutes }),
  }));
  const s = get();
  if (delta.refresh && s.inboxStatus !== 'idle') fire(loadInbox(true));
  const sel = s.selected;
  if (sel !== undefined && s.drift?.nodeId === sel && delta.items.some((i) => i.rule === 'drift-corrected'))
    fire(loadDrift(sel, true));
}

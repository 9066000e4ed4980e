/**
 * Everything the UI can do, as plain functions outside React (zustand's "no store actions" practice): components and
 * the command palette call these; these call the transport and update the store. Failures become notices that say
 * what to do next.
 */
import type { ErrorCode, FluxKey } from '../../main/contract/index.ts';
import { releaseWorkloads } from '../features/graph/projection.ts';
import { ApiError, type Transport } from '../transport/transport.ts';
import { loadHelmView } from './helm-actions.ts';
import { fluxKeyOf, identityOf, isFluxGroup, nodeIdOf, nodeIdOfKey, objectKeyOf } from './ids.ts';
import { loadImagePanel } from './image-actions.ts';
import { type AppState, useAppStore } from './index.ts';
import { applyProgress, pruneActions } from './reducers.ts';
import type { Notice, PanelTab, StatusFilter, View } from './slices/ui.ts';

let started: Transport | undefined;

export function setTransport(t: Transport | undefined): void {
  started = t;
}

/** The transport the bridge started; the feature actions (editor, inbox) request through it too. */
export function transport(): Transport {
  if (!started) throw new Error('the transport is not started (startBridge was not called)');
  return started;
}

const set = (partial: Partial<AppState> | ((s: AppState) => Partial<AppState>)): void => useAppStore.setState(partial);
const get = (): AppState => useAppStore.getState();

// ---------------------------------------------------------------------------------------------------------------
// Notices

const HINTS: Partial<Record<ErrorCode, string>> = {
  'not-connected': 'Connect the cluster in the sidebar, then try again.',
  suspended: 'Resume it first (Shift+T), then reconcile.',
  unauthorized: "Check the context's credentials: the sidebar shows its auth status and what to fix.",
  forbidden: 'Your kubeconfig user lacks the RBAC permission for this; ask a cluster admin or use another context.',
  conflict: 'Someone changed the object at the same time; try again.',
  timeout: 'The cluster may still finish: watch the node, or look at its events.',
  unavailable: 'Fluxdeck is reconnecting; try again in a moment.',
  'not-found': 'It may have been deleted; the graph updates on its own.',
  internal: 'This is a Fluxdeck bug: the log file has the details.',
};

let nextNotice = 1;

export function notify(notice: Omit<Notice, 'id'>, autoDismissMs?: number): number {
  const id = nextNotice++;
  set((s) => ({ notices: [...s.notices.slice(-2), { ...notice, id }] }));
  if (autoDismissMs !== undefined) setTimeout(() => dismissNotice(id), autoDismissMs);
  return id;
}

export function dismissNotice(id: number): void {
  set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
}

export function describeFailure(err: unknown): { message: string; hint?: string } {
  if (err instanceof ApiError) {
    const hint = HINTS[err.code];
    return { message: err.message, ...(hint !== undefined && { hint }) };
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

/**
 * Runs an action from an event handler. Actions report their own failures as notices; anything that still escapes is
 * a bug, shown rather than lost.
 */
export function fire(p: Promise<unknown>): void {
  p.catch((err: unknown) =>
    notify({ tone: 'error', title: 'Unexpected error', ...describeFailure(err), hint: HINTS.internal }),
  );
}

export function notifyFailure(title: string, err: unknown): void {
  notify({ tone: 'error', title, ...describeFailure(err) });
}

// ---------------------------------------------------------------------------------------------------------------
// Clusters

export async function connectCluster(name: string): Promise<void> {
  set((s) => ({ clusterBusy: { ...s.clusterBusy, [name]: 'connecting' } }));
  try {
    await transport().invoke('clusters:connect', { cluster: name });
  } catch (err) {
    notifyFailure(`Could not connect ${name}`, err);
  } finally {
    set((s) => ({ clusterBusy: omit(s.clusterBusy, name) }));
  }
}

export async function disconnectCluster(name: string): Promise<void> {
  set((s) => ({ clusterBusy: { ...s.clusterBusy, [name]: 'disconnecting' } }));
  try {
    await transport().invoke('clusters:disconnect', { cluster: name });
  } catch (err) {
    notifyFailure(`Could not disconnect ${name}`, err);
  } finally {
    set((s) => ({ clusterBusy: omit(s.clusterBusy, name), ...(s.scope === name && { scope: 'all' }) }));
  }
}

function omit<T>(map: Record<string, T>, key: string): Record<string, T> {
  const { [key]: _gone, ...rest } = map;
  return rest;
}

// ---------------------------------------------------------------------------------------------------------------
// Sync controls

function newActionId(): string {
  return crypto.randomUUID();
}

/** The Flux object a node stands for (and its current suspend flag), if it is one we can act on. */
export function actionTarget(nodeId: string | undefined): { key: FluxKey; suspended: boolean } | undefined {
  if (nodeId === undefined) return undefined;
  const id = identityOf(nodeId);
  const key = id && fluxKeyOf(id);
  if (!key) return undefined;
  const obj = Object.values(get().objects).find(
    (o) => o.cluster === key.cluster && o.kind === key.kind && o.namespace === key.namespace && o.name === key.name,
  );
  return obj ? { key, suspended: obj.suspended } : undefined;
}

/** True while an action on this node has not finished. */
export function actionRunning(nodeId: string): boolean {
  return Object.values(get().actions).some((a) => a.nodeId === nodeId && a.finishedAt === undefined);
}

type ActionName = 'reconcile' | 'reconcile-with-source' | 'suspend' | 'resume';

const LABELS: Record<ActionName, string> = {
  reconcile: 'Reconcile',
  'reconcile-with-source': 'Reconcile with source',
  suspend: 'Suspend',
  resume: 'Resume',
};

async function runAction(nodeId: string, action: ActionName): Promise<void> {
  const target = actionTarget(nodeId);
  if (!target) return;
  const { key } = target;
  await trackAction(
    nodeId,
    `${LABELS[action]} ${key.kind} ${key.namespace}/${key.name}`,
    (actionId) =>
      action === 'suspend'
        ? transport().invoke('flux:suspend', { actionId, key })
        : action === 'resume'
          ? transport().invoke('flux:resume', { actionId, key })
          : transport().invoke('flux:reconcile', { actionId, key, withSource: action === 'reconcile-with-source' }),
    { failedTitle: 'Ready=False' },
  );
}

/**
 * Runs one action request with its progress shown on the node and in the panel until the outcome arrives, and a
 * notice for the result: a success fades, a failure stays with what to do next. Resolves to the outcome's `ok`.
 */
export async function trackAction(
  nodeId: string,
  label: string,
  invoke: (actionId: string) => Promise<{ ok: boolean; message: string }>,
  opts: { failedTitle?: string; failedHint?: string } = {},
): Promise<boolean> {
  const actionId = newActionId();
  set((s) => ({
    actions: {
      ...s.actions,
      [actionId]: { actionId, nodeId, label, phase: 'requested', message: 'requested', startedAt: Date.now() },
    },
  }));
  try {
    const outcome = await invoke(actionId);
    finishAction(actionId, outcome.ok, outcome.message);
    if (outcome.ok) notify({ tone: 'success', title: label, message: outcome.message }, 3000);
    else
      notify({
        tone: 'error',
        title: `${label}: ${opts.failedTitle ?? 'not done'}`,
        message: outcome.message,
        hint: opts.failedHint ?? 'Open Events (E) to see what failed.',
      });
    return outcome.ok;
  } catch (err) {
    finishAction(actionId, false, describeFailure(err).message);
    notifyFailure(`${label} failed`, err);
    return false;
  }
}

function finishAction(actionId: string, ok: boolean, message: string): void {
  set((s) => {
    const a = s.actions[actionId];
    if (!a) return {};
    const done = {
      ...a,
      phase: ok ? ('succeeded' as const) : ('failed' as const),
      message,
      ok,
      finishedAt: a.finishedAt ?? Date.now(),
    };
    return { actions: pruneActions({ ...s.actions, [actionId]: done }) };
  });
}

/** Applies a pushed progress event (from this window's request or another client's). */
export function onProgress(p: Parameters<typeof applyProgress>[1]): void {
  set((s) => ({ actions: applyProgress(s.actions, p, nodeIdOfKey(p.key), Date.now()) }));
}

export const reconcile = (nodeId: string, withSource = false): Promise<void> =>
  runAction(nodeId, withSource ? 'reconcile-with-source' : 'reconcile');

export function toggleSuspend(nodeId: string): Promise<void> {
  const target = actionTarget(nodeId);
  return target ? runAction(nodeId, target.suspended ? 'resume' : 'suspend') : Promise.resolve();
}

export async function setPaused(paused: boolean): Promise<void> {
  try {
    const health = await transport().invoke('engine:setPaused', { paused });
    set({ health });
  } catch (err) {
    notifyFailure(paused ? 'Could not pause reconciling' : 'Could not resume reconciling', err);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Selection and the object panel

let detailSeq = 0;

export function select(nodeId: string | undefined): void {
  if (nodeId === get().selected) return;
  set({
    selected: nodeId,
    detail: undefined,
    diff: undefined,
    drift: undefined,
    helmView: undefined,
    helmDialog: undefined,
    imagePanel: undefined,
    imagePreview: undefined,
    imageDiff: undefined,
    ...(nodeId === undefined && { panelTab: 'overview' }),
  });
  if (nodeId !== undefined) {
    fire(loadDetail(nodeId));
    fire(loadDrift(nodeId));
  }
}

/** True for the objects whose panel can show drift: Kustomizations (what they put back) and what they apply. */
export function hasDriftView(nodeId: string): boolean {
  const id = identityOf(nodeId);
  if (!id) return false;
  return id.kind === 'Kustomization' ? fluxKeyOf(id) !== undefined : !isFluxGroup(id.group);
}

/** The selected object's corrected drifts, from the inbox; a later selection wins over an earlier slow answer. */
export async function loadDrift(nodeId: string, quiet = false): Promise<void> {
  const id = identityOf(nodeId);
  if (!id || !hasDriftView(nodeId)) return;
  if (!quiet) set({ drift: { nodeId, status: 'loading', records: [] } });
  try {
    const records = await transport().invoke('inbox:drift', { key: objectKeyOf(id) });
    if (get().selected === nodeId) set({ drift: { nodeId, status: 'ready', records } });
  } catch (err) {
    if (get().selected === nodeId)
      set({ drift: { nodeId, status: 'error', records: [], error: describeFailure(err).message } });
  }
}

/** Selects a node and brings it into view (palette, links in the panel). Out-of-scope nodes widen the scope. */
export function focusNode(nodeId: string): void {
  const id = identityOf(nodeId);
  if (id && get().scope !== 'all' && get().scope !== id.cluster) set({ scope: 'all' });
  select(nodeId);
  set((s) => ({ centerRequest: s.centerRequest + 1 }));
}

/** Fetches the selected object's YAML and events; a later selection wins over an earlier slow answer. */
export async function loadDetail(nodeId: string, quiet = false): Promise<void> {
  const id = identityOf(nodeId);
  if (!id) return;
  const seq = ++detailSeq;
  if (!quiet) set({ detail: { nodeId, status: 'loading' } });
  try {
    const detail = await transport().invoke('objects:get', { key: objectKeyOf(id) });
    if (seq === detailSeq && get().selected === nodeId) set({ detail: { nodeId, status: 'ready', detail } });
  } catch (err) {
    if (seq === detailSeq && get().selected === nodeId)
      set({ detail: { nodeId, status: 'error', error: describeFailure(err).message } });
  }
}

export async function loadDiff(nodeId: string): Promise<void> {
  const id = identityOf(nodeId);
  const key = id && fluxKeyOf(id);
  if (key?.kind !== 'Kustomization') return;
  set({ diff: { nodeId, status: 'loading' } });
  try {
    const diff = await transport().invoke('flux:diff', { key: { ...key, kind: 'Kustomization' } });
    if (get().selected === nodeId) set({ diff: { nodeId, status: 'ready', diff } });
  } catch (err) {
    if (get().selected === nodeId) set({ diff: { nodeId, status: 'error', error: describeFailure(err).message } });
  }
}

export function setPanelTab(tab: PanelTab): void {
  set({ panelTab: tab });
  const { selected, diff } = get();
  if (tab === 'diff' && selected !== undefined && diff?.nodeId !== selected) fire(loadDiff(selected));
  if (tab === 'release' && selected !== undefined && get().helmView?.nodeId !== selected) fire(loadHelmView(selected));
  if (tab === 'image' && selected !== undefined && get().imagePanel?.nodeId !== selected)
    fire(loadImagePanel(selected));
}

// ---------------------------------------------------------------------------------------------------------------
// View state

/** Filtering changes what is on the graph, so the view fits to the result (once its layout exists). */
export const setSearch = (search: string): void => set((s) => ({ search, fitRequest: s.fitRequest + 1 }));
export const setStatusFilter = (statusFilter: StatusFilter): void =>
  set((s) => ({ statusFilter, fitRequest: s.fitRequest + 1 }));
export const setScope = (scope: string): void => set({ scope, fitRequest: get().fitRequest + 1 });
export const setShowAllKinds = (showAllKinds: boolean): void => set({ showAllKinds });
export const requestFit = (): void => set((s) => ({ fitRequest: s.fitRequest + 1 }));
export const setView = (view: View): void => set({ view });
export const focusSearch = (): void => set((s) => ({ searchFocusRequest: s.searchFocusRequest + 1 }));
export const setPaletteOpen = (paletteOpen: boolean): void => set({ paletteOpen });
export const setShortcutsOpen = (shortcutsOpen: boolean): void => set({ shortcutsOpen });
export const setCostsOpen = (costsOpen: boolean): void => set({ costsOpen });

/**
 * Shows an object in the graph from elsewhere (the inbox, the editor): the graph view, a filter that lets it through,
 * and the node selected and centred.
 */
export function showInGraph(nodeId: string): void {
  set((s) => ({
    view: 'graph' as const,
    ...(s.search !== '' && { search: '' }),
    ...(s.statusFilter !== 'all' && { statusFilter: 'all' as const }),
  }));
  focusNode(nodeId);
}

export function toggleCollapsed(nodeId: string): void {
  set((s) => ({ collapsed: s.collapsed[nodeId] ? omit(s.collapsed, nodeId) : { ...s.collapsed, [nodeId]: true } }));
}

/** Folds every Flux object's inventory (or unfolds all). */
export function setAllCollapsed(collapsed: boolean): void {
  if (!collapsed) return set({ collapsed: {} });
  const all: Record<string, true> = {};
  for (const o of Object.values(get().objects)) if (o.inventory?.length) all[nodeIdOf(o)] = true;
  for (const id of releaseWorkloads(Object.values(get().workloads)).keys()) all[id] = true;
  set({ collapsed: all });
}

/**
 * The bootstrap wizard's actions: open it for a context, edit the form, start (the request answers when flux-system
 * is Ready; its steps arrive as `bootstrap:onProgress` events), cancel, and go to the result in the graph.
 */
import type { BootstrapProgress } from '../../../main/contract/index.ts';
import { describeFailure, focusNode, setView, transport } from '../../store/actions.ts';
import { nodeIdOfKey } from '../../store/ids.ts';
import { type AppState, useAppStore } from '../../store/index.ts';
import type { BootstrapForm } from '../../store/slices/bootstrap.ts';
import { ApiError } from '../../transport/transport.ts';
import { applyBootstrapProgress, defaultPath, emptyForm, formErrors, requestOf } from './bootstrap-form.ts';

const set = (partial: Partial<AppState> | ((s: AppState) => Partial<AppState>)): void => useAppStore.setState(partial);
const get = (): AppState => useAppStore.getState();

export const connectedClusters = (s: AppState): string[] =>
  s.clusterOrder.filter((name) => s.clusters[name]?.state === 'connected');

/** Opens the wizard for a context (a running one stays as it is). */
export function openBootstrap(cluster: string): void {
  const current = get().bootstrap;
  if (current?.status === 'running') return;
  set({ bootstrap: { form: emptyForm(cluster), tried: false, status: 'editing', steps: [] } });
}

/** Closes the wizard; a running bootstrap keeps it open (cancel it first). */
export function closeBootstrap(): void {
  set((s) => (s.bootstrap?.status === 'running' ? {} : { bootstrap: undefined }));
}

/** Changes fields; the path follows the context until the user edits it. */
export function setBootstrapForm(patch: Partial<Omit<BootstrapForm, 'pathEdited'>>): void {
  set((s) => {
    const w = s.bootstrap;
    if (!w || w.status === 'running') return {};
    const form = { ...w.form, ...patch };
    if (patch.path !== undefined) form.pathEdited = true;
    else if (patch.cluster !== undefined && !w.form.pathEdited) form.path = defaultPath(patch.cluster);
    // Editing after a failure goes back to the form, keeping the steps of the failed run for reference.
    return { bootstrap: { ...w, form, status: w.status === 'failed' ? 'editing' : w.status } };
  });
}

export function onBootstrapProgress(p: BootstrapProgress): void {
  set((s) => ({ bootstrap: applyBootstrapProgress(s.bootstrap, p) }));
}

/** Checks the form (showing what to fix), then runs the bootstrap; the password leaves the store with the request. */
export async function startBootstrap(): Promise<void> {
  const s = get();
  const w = s.bootstrap;
  if (!w || w.status === 'running') return;
  if (Object.keys(formErrors(w.form, connectedClusters(s))).length > 0) {
    set({ bootstrap: { ...w, tried: true } });
    return;
  }
  const actionId = crypto.randomUUID();
  const request = requestOf(w.form, actionId);
  const mine = (st: AppState): boolean => st.bootstrap?.actionId === actionId;
  set({
    bootstrap: {
      form: { ...w.form, password: '' },
      // The form was valid: if this run fails or is cancelled, no field is marked until the user tries again (the
      // emptied password would otherwise show as a mistake they had not made).
      tried: false,
      status: 'running',
      actionId,
      steps: [],
    },
  });
  try {
    const result = await transport().invoke('bootstrap:start', request);
    set((st) => (mine(st) && st.bootstrap ? { bootstrap: { ...st.bootstrap, status: 'done', result } } : {}));
  } catch (err) {
    const own = err instanceof ApiError && typeof err.details?.hint === 'string' ? err.details.hint : undefined;
    const failure = describeFailure(err);
    const error = {
      message: failure.message,
      ...((own ?? failure.hint) !== undefined && { hint: own ?? failure.hint }),
      ...(err instanceof ApiError && err.code === 'cancelled' && { cancelled: true }),
    };
    set((st) => (mine(st) && st.bootstrap ? { bootstrap: { ...st.bootstrap, status: 'failed', error } } : {}));
  }
}

export async function cancelBootstrap(): Promise<void> {
  const w = get().bootstrap;
  if (w?.status !== 'running') return;
  await transport().invoke('bootstrap:cancel', { cluster: w.form.cluster });
}

/** Closes the wizard and selects the flux-system Kustomization in the graph. */
export function showBootstrapResult(): void {
  const result = get().bootstrap?.result;
  if (!result) return;
  set({ bootstrap: undefined });
  setView('graph');
  focusNode(nodeIdOfKey(result.kustomization));
}

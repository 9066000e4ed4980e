/**
 * The HelmRelease panel's actions: its release view, and force upgrade, reset, tests, rollback (after a confirmation
 * that previews the manifests) and uninstall (after a confirmation naming the release), each tracked like a
 * reconcile. They go through the contract to main, which acts as Flux users do (flux annotations, Helm's own code).
 */
import type { HelmReleaseKey } from '../../main/contract/index.ts';
import { describeFailure, fire, trackAction, transport } from './actions.ts';
import { fluxKeyOf, identityOf } from './ids.ts';
import { type AppState, useAppStore } from './index.ts';

const set = (partial: Partial<AppState> | ((s: AppState) => Partial<AppState>)): void => useAppStore.setState(partial);
const get = (): AppState => useAppStore.getState();

/** The HelmRelease a node stands for, if it is one. */
export function helmKeyOf(nodeId: string): HelmReleaseKey | undefined {
  const id = identityOf(nodeId);
  const key = id && fluxKeyOf(id);
  return key?.kind === 'HelmRelease' ? { ...key, kind: 'HelmRelease' } : undefined;
}

const describe = (key: HelmReleaseKey): string => `HelmRelease ${key.namespace}/${key.name}`;

/** Fetches the release view; `quiet` keeps the old one on screen while refreshing after an action. */
export async function loadHelmView(nodeId: string, quiet = false): Promise<void> {
  const key = helmKeyOf(nodeId);
  if (!key) return;
  if (!quiet) set({ helmView: { nodeId, status: 'loading' } });
  try {
    const view = await transport().invoke('helm:release', { key });
    if (get().selected === nodeId) set({ helmView: { nodeId, status: 'ready', view } });
  } catch (err) {
    if (get().selected === nodeId) set({ helmView: { nodeId, status: 'error', error: describeFailure(err).message } });
  }
}

async function tracked(
  nodeId: string,
  label: (hr: string) => string,
  invoke: (key: HelmReleaseKey, actionId: string) => Promise<{ ok: boolean; message: string }>,
  failedHint?: string,
): Promise<boolean> {
  const key = helmKeyOf(nodeId);
  if (!key) return false;
  const ok = await trackAction(nodeId, label(describe(key)), (actionId) => invoke(key, actionId), {
    ...(failedHint !== undefined && { failedHint }),
  });
  if (get().selected === nodeId) fire(loadHelmView(nodeId, true));
  return ok;
}

export const forceUpgrade = (nodeId: string): Promise<boolean> =>
  tracked(
    nodeId,
    (hr) => `Force upgrade ${hr}`,
    (key, actionId) => transport().invoke('helm:forceUpgrade', { actionId, key }),
  );

export const resetRelease = (nodeId: string): Promise<boolean> =>
  tracked(
    nodeId,
    (hr) => `Reset ${hr}`,
    (key, actionId) => transport().invoke('helm:reset', { actionId, key }),
  );

export const runTests = (nodeId: string): Promise<boolean> =>
  tracked(
    nodeId,
    (hr) => `Run the tests of ${hr}`,
    (key, actionId) => transport().invoke('helm:test', { actionId, key }),
    'The Release tab lists each test and its phase; the test pods’ logs say why one failed.',
  );

/** Opens the rollback confirmation and fetches the manifests of the current and the chosen revision. */
export async function askRollback(nodeId: string, revision: number): Promise<void> {
  const key = helmKeyOf(nodeId);
  if (!key) return;
  set({ helmDialog: { type: 'rollback', nodeId, revision, status: 'loading' } });
  const still = (): boolean => {
    const d = get().helmDialog;
    return d?.type === 'rollback' && d.nodeId === nodeId && d.revision === revision;
  };
  try {
    const preview = await transport().invoke('helm:rollbackPreview', { key, revision });
    if (still()) set({ helmDialog: { type: 'rollback', nodeId, revision, status: 'ready', preview } });
  } catch (err) {
    if (still())
      set({
        helmDialog: { type: 'rollback', nodeId, revision, status: 'error', error: describeFailure(err).message },
      });
  }
}

export function confirmRollback(): Promise<boolean> {
  const d = get().helmDialog;
  if (d?.type !== 'rollback') return Promise.resolve(false);
  set({ helmDialog: undefined });
  return tracked(
    d.nodeId,
    (hr) => `Roll back ${hr} to revision ${d.revision}`,
    (key, actionId) => transport().invoke('helm:rollback', { actionId, key, revision: d.revision }),
    'The HelmRelease stays suspended: resume it (Shift+T) to return to the state in Git.',
  );
}

/** Opens the uninstall confirmation; suspending the managing Kustomization is offered and on by default. */
export function askUninstall(nodeId: string): void {
  const view = get().helmView;
  if (view?.nodeId !== nodeId || !view.view) return;
  set({
    helmDialog: {
      type: 'uninstall',
      nodeId,
      view: view.view,
      suspendKustomization: view.view.managedBy !== undefined && !view.view.managedBy.suspended,
    },
  });
}

export function setSuspendKustomization(on: boolean): void {
  set((s) => (s.helmDialog?.type === 'uninstall' ? { helmDialog: { ...s.helmDialog, suspendKustomization: on } } : {}));
}

export function confirmUninstall(): Promise<boolean> {
  const d = get().helmDialog;
  if (d?.type !== 'uninstall') return Promise.resolve(false);
  set({ helmDialog: undefined });
  return tracked(
    d.nodeId,
    (hr) => `Uninstall ${hr}`,
    (key, actionId) =>
      transport().invoke('helm:uninstall', { actionId, key, suspendKustomization: d.suspendKustomization }),
  );
}

export const closeHelmDialog = (): void => set({ helmDialog: undefined });

/**
 * The image automation panels and the fleet images view: an ImagePolicy's tags, an ImageUpdateAutomation's commits
 * and the preview of its next run, and the fleet's images, each read from main through the contract when shown.
 */
import type { ImageAutomationKey, ImagePolicyKey } from '../../main/contract/index.ts';
import { describeFailure, fire, transport } from './actions.ts';
import { fluxKeyOf, identityOf } from './ids.ts';
import { type AppState, useAppStore } from './index.ts';
import type { FleetState, ImageDiffDialog } from './slices/images.ts';

const set = (partial: Partial<AppState> | ((s: AppState) => Partial<AppState>)): void => useAppStore.setState(partial);
const get = (): AppState => useAppStore.getState();

/** The ImagePolicy or ImageUpdateAutomation a node stands for, if it is one. */
export function imageKeyOf(nodeId: string): ImagePolicyKey | ImageAutomationKey | undefined {
  const id = identityOf(nodeId);
  const key = id && fluxKeyOf(id);
  if (key?.kind === 'ImagePolicy') return { ...key, kind: 'ImagePolicy' };
  if (key?.kind === 'ImageUpdateAutomation') return { ...key, kind: 'ImageUpdateAutomation' };
  return undefined;
}

/** Fetches the policy's tags or the automation's commits; `quiet` keeps the old ones on screen while refreshing. */
export async function loadImagePanel(nodeId: string, quiet = false): Promise<void> {
  const key = imageKeyOf(nodeId);
  if (!key) return;
  if (!quiet) set({ imagePanel: { nodeId, status: 'loading' } });
  try {
    const loaded =
      key.kind === 'ImagePolicy'
        ? { policy: await transport().invoke('images:policy', { key }) }
        : { automation: await transport().invoke('images:automation', { key }) };
    if (get().selected === nodeId) set({ imagePanel: { nodeId, status: 'ready', ...loaded } });
  } catch (err) {
    if (get().selected === nodeId)
      set({ imagePanel: { nodeId, status: 'error', error: describeFailure(err).message } });
  }
}

/** What the automation's next run would commit, without committing (`fluxdeck image preview`). */
export async function previewNextRun(nodeId: string): Promise<void> {
  const key = imageKeyOf(nodeId);
  if (key?.kind !== 'ImageUpdateAutomation') return;
  set({ imagePreview: { nodeId, status: 'loading' } });
  try {
    const preview = await transport().invoke('images:preview', { key });
    if (get().selected === nodeId) set({ imagePreview: { nodeId, status: 'ready', preview } });
  } catch (err) {
    if (get().selected === nodeId)
      set({ imagePreview: { nodeId, status: 'error', error: describeFailure(err).message } });
  }
}

export const openImageDiff = (diff: ImageDiffDialog): void => set({ imageDiff: diff });
export const closeImageDiff = (): void => set({ imageDiff: undefined });

/** Reads the fleet's images again (the view shows the last answer while it does). */
export async function loadFleet(): Promise<void> {
  set((s) => ({ fleet: { ...s.fleet, status: s.fleet.status === 'ready' ? 'ready' : 'loading' } }));
  try {
    const { images } = await transport().invoke('images:fleet', {});
    set((s) => ({ fleet: { ...s.fleet, status: 'ready', images, error: undefined } }));
  } catch (err) {
    set((s) => ({ fleet: { ...s.fleet, status: 'error', error: describeFailure(err).message } }));
  }
}

export function showFleetImages(): void {
  set({ view: 'images' });
  fire(loadFleet());
}

export const setFleetFilter = (filter: Partial<Pick<FleetState, 'onlyDiffering' | 'search'>>): void =>
  set((s) => ({ fleet: { ...s.fleet, ...filter } }));

import type { StateCreator } from 'zustand';

import type { HelmReleaseView, HelmRollbackPreview } from '../../../main/contract/index.ts';
import type { AppState } from '../index.ts';

/** The selected HelmRelease's release view (history, values, tests), fetched with the selection. */
export interface HelmViewState {
  nodeId: string;
  status: 'loading' | 'ready' | 'error';
  view?: HelmReleaseView;
  error?: string;
}

/** The confirmation open over the panel: a rollback (with its manifest diff) or an uninstall. */
export type HelmDialog =
  | {
      type: 'rollback';
      nodeId: string;
      revision: number;
      status: 'loading' | 'ready' | 'error';
      preview?: HelmRollbackPreview;
      error?: string;
    }
  | { type: 'uninstall'; nodeId: string; view: HelmReleaseView; suspendKustomization: boolean };

export interface HelmSlice {
  helmView: HelmViewState | undefined;
  helmDialog: HelmDialog | undefined;
}

export const createHelmSlice: StateCreator<AppState, [], [], HelmSlice> = () => ({
  helmView: undefined,
  helmDialog: undefined,
});

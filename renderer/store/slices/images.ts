import type { StateCreator } from 'zustand';

import type {
  FleetImage,
  ImageAutomationPreview,
  ImageAutomationView,
  ImagePolicyView,
} from '../../../main/contract/index.ts';
import type { AppState } from '../index.ts';

/** The selected ImagePolicy's tags or ImageUpdateAutomation's commits, fetched when its tab opens. */
export interface ImagePanelState {
  nodeId: string;
  status: 'loading' | 'ready' | 'error';
  policy?: ImagePolicyView;
  automation?: ImageAutomationView;
  error?: string;
}

/** What the automation's next run would commit (`fluxdeck image preview`). */
export interface ImagePreviewState {
  nodeId: string;
  status: 'loading' | 'ready' | 'error';
  preview?: ImageAutomationPreview;
  error?: string;
}

/** One file's diff shown over the panel: a commit's or the preview's. */
export interface ImageDiffDialog {
  title: string;
  path: string;
  before: string;
  after: string;
}

export interface FleetState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  images: FleetImage[];
  error?: string;
  /** Only the images where a run differs from what a policy wants. */
  onlyDiffering: boolean;
  search: string;
}

export interface ImagesSlice {
  imagePanel: ImagePanelState | undefined;
  imagePreview: ImagePreviewState | undefined;
  imageDiff: ImageDiffDialog | undefined;
  fleet: FleetState;
}

export const createImagesSlice: StateCreator<AppState, [], [], ImagesSlice> = () => ({
  imagePanel: undefined,
  imagePreview: undefined,
  imageDiff: undefined,
  fleet: { status: 'idle', images: [], onlyDiffering: false, search: '' },
});

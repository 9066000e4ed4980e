/**
 * The one bound store, built from domain slices (style guide practice 18). State only: the functions that change it
 * live in actions.ts and bridge.ts, outside React, and components select narrowly from it.
 */
import { create } from 'zustand';

import { type AppSlice, createAppSlice } from './slices/app.ts';
import { type BootstrapSlice, createBootstrapSlice } from './slices/bootstrap.ts';
import { type ClustersSlice, createClustersSlice } from './slices/clusters.ts';
import { createEditorSlice, type EditorSlice } from './slices/editor.ts';
import { createGraphSlice, type GraphSlice } from './slices/graph.ts';
import { createHelmSlice, type HelmSlice } from './slices/helm.ts';
import { createImagesSlice, type ImagesSlice } from './slices/images.ts';
import { createInboxSlice, type InboxSlice } from './slices/inbox.ts';
import { type ActionsSlice, createActionsSlice } from './slices/running-actions.ts';
import { createUiSlice, type UiSlice } from './slices/ui.ts';

export type AppState = ClustersSlice &
  GraphSlice &
  ActionsSlice &
  UiSlice &
  AppSlice &
  EditorSlice &
  InboxSlice &
  HelmSlice &
  ImagesSlice &
  BootstrapSlice;

export const useAppStore = create<AppState>()((...a) => ({
  ...createClustersSlice(...a),
  ...createGraphSlice(...a),
  ...createActionsSlice(...a),
  ...createUiSlice(...a),
  ...createAppSlice(...a),
  ...createEditorSlice(...a),
  ...createInboxSlice(...a),
  ...createHelmSlice(...a),
  ...createImagesSlice(...a),
  ...createBootstrapSlice(...a),
}));

/** The state a fresh window starts with (tests reset the store with it). */
export const initialState: AppState = useAppStore.getInitialState();

import type { StateCreator } from 'zustand';

import type { AppState } from '../index.ts';

export type StatusFilter = 'all' | 'failing' | 'not-ready' | 'suspended';
export type PanelTab = 'overview' | 'events' | 'yaml' | 'diff' | 'drift' | 'release' | 'image';
/** The main area: the graph (with the object panel), the editor, the inbox, the fleet's images or notifications. */
export type View = 'graph' | 'editor' | 'inbox' | 'images' | 'notifications';

export interface Notice {
  id: number;
  tone: 'info' | 'success' | 'error';
  title: string;
  message?: string;
  /** What the user can do about it. */
  hint?: string;
}

export interface UiSlice {
  view: View;
  selected: string | undefined;
  search: string;
  statusFilter: StatusFilter;
  /** 'all' or one context name. */
  scope: string;
  /** Flux nodes whose inventory is folded away. */
  collapsed: Record<string, true>;
  /** Show every inventory kind (ConfigMaps, Services...) as its own node instead of a summary node. */
  showAllKinds: boolean;
  panelTab: PanelTab;
  paletteOpen: boolean;
  shortcutsOpen: boolean;
  /** The dialog with what the engine spends (StatusBar → costs). */
  costsOpen: boolean;
  notices: Notice[];
  /** Bumped to ask the graph to fit the view (commands, first layout). */
  fitRequest: number;
  /** Bumped to ask the graph to centre the selected node (palette, panel links). */
  centerRequest: number;
  /** Bumped to ask the search box to take focus. */
  searchFocusRequest: number;
}

export const createUiSlice: StateCreator<AppState, [], [], UiSlice> = () => ({
  view: 'graph',
  selected: undefined,
  search: '',
  statusFilter: 'all',
  scope: 'all',
  collapsed: {},
  showAllKinds: false,
  panelTab: 'overview',
  paletteOpen: false,
  shortcutsOpen: false,
  costsOpen: false,
  notices: [],
  fitRequest: 0,
  centerRequest: 0,
  searchFocusRequest: 0,
});

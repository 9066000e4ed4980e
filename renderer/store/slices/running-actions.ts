import type { StateCreator } from 'zustand';

import type { AppState } from '../index.ts';
import type { ActionState } from '../reducers.ts';

export interface ActionsSlice {
  /** Reconcile / suspend / resume requests by action id, running and recently finished. */
  actions: Record<string, ActionState>;
}

export const createActionsSlice: StateCreator<AppState, [], [], ActionsSlice> = () => ({ actions: {} });

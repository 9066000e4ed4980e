import type { StateCreator } from 'zustand';

import type { Capabilities, HealthSummary, KustomizationDiff, ObjectDetail } from '../../../main/contract/index.ts';
import type { TransportStatus } from '../../transport/transport.ts';
import type { AppState } from '../index.ts';

export interface DetailState {
  nodeId: string;
  status: 'loading' | 'ready' | 'error';
  detail?: ObjectDetail;
  error?: string;
}

export interface DiffState {
  nodeId: string;
  status: 'loading' | 'ready' | 'error';
  diff?: KustomizationDiff;
  error?: string;
}

export interface AppSlice {
  capabilities: Capabilities | undefined;
  health: HealthSummary | undefined;
  connection: TransportStatus;
  /** The selected object's live YAML and events (fetched on selection, refreshed when it changes). */
  detail: DetailState | undefined;
  /** The selected Kustomization's diff, fetched when its Diff tab opens. */
  diff: DiffState | undefined;
  /** A boot or resync failure the whole window should show. */
  fatal: string | undefined;
}

export const createAppSlice: StateCreator<AppState, [], [], AppSlice> = () => ({
  capabilities: undefined,
  health: undefined,
  connection: 'connecting',
  detail: undefined,
  diff: undefined,
  fatal: undefined,
});

import type { StateCreator } from 'zustand';

import type { ClusterInfo } from '../../../main/contract/index.ts';
import type { AppState } from '../index.ts';

export interface ClustersSlice {
  clusters: Record<string, ClusterInfo>;
  /** Display order: current context first, then by name. */
  clusterOrder: string[];
  /** Contexts with a connect or disconnect request in flight. */
  clusterBusy: Record<string, 'connecting' | 'disconnecting'>;
}

export const createClustersSlice: StateCreator<AppState, [], [], ClustersSlice> = () => ({
  clusters: {},
  clusterOrder: [],
  clusterBusy: {},
});

import type { StateCreator } from 'zustand';

import type { FluxObject, Workload } from '../../../main/contract/index.ts';
import type { AppState } from '../index.ts';

export interface GraphSlice {
  /** Flux objects by uid. */
  objects: Record<string, FluxObject>;
  /** Inventory workloads by uid. */
  workloads: Record<string, Workload>;
  /** The first snapshot arrived (until then the graph shows a loading state, not "empty"). */
  synced: boolean;
}

export const createGraphSlice: StateCreator<AppState, [], [], GraphSlice> = () => ({
  objects: {},
  workloads: {},
  synced: false,
});

import type { HealthSummary, OverallHealth } from '../contract/index.ts';
import type { EngineSnapshot } from '../workbench/index.ts';
import { deriveFluxState } from './flux-state.ts';

export interface HealthInputs {
  snapshot: EngineSnapshot;
  connectedClusters: number;
  paused: boolean;
  unreadAlerts: number;
}

/**
 * The one-line health of everything connected, for the tray icon and the status bar: degraded if any Flux object
 * failed or a workload is Failed, progressing while anything reconciles, idle with nothing connected.
 */
export function summarizeHealth(inputs: HealthInputs): HealthSummary {
  let failing = 0;
  let progressing = 0;
  let suspended = 0;
  let ready = 0;
  for (const obj of inputs.snapshot.objects) {
    const { status } = deriveFluxState(obj);
    if (status === 'failed') failing++;
    else if (status === 'progressing') progressing++;
    else if (status === 'suspended') suspended++;
    else if (status === 'ready') ready++;
  }
  let unhealthyWorkloads = 0;
  for (const w of inputs.snapshot.workloads) if (w.health === 'Failed') unhealthyWorkloads++;
  const overall: OverallHealth =
    inputs.connectedClusters === 0
      ? 'idle'
      : failing + unhealthyWorkloads > 0
        ? 'degraded'
        : progressing > 0
          ? 'progressing'
          : 'healthy';
  return {
    overall,
    connectedClusters: inputs.connectedClusters,
    failing,
    progressing,
    suspended,
    ready,
    unhealthyWorkloads,
    unreadAlerts: inputs.unreadAlerts,
    paused: inputs.paused,
  };
}

export function sameHealth(a: HealthSummary, b: HealthSummary): boolean {
  return (Object.keys(a) as (keyof HealthSummary)[]).every((k) => a[k] === b[k]);
}

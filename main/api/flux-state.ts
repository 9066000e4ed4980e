import type { Condition, FluxObject, FluxObjectData, FluxState } from '../contract/index.ts';

function find(conditions: Condition[], type: string): Condition | undefined {
  return conditions.find((c) => c.type === type);
}

/** Work in progress: Reconciling=True, an unobserved generation, or Ready=Unknown. */
function isReconciling(obj: FluxObjectData, ready: Condition | undefined): boolean {
  const cond = find(obj.conditions, 'Reconciling');
  const unobserved = obj.observedGeneration !== undefined && obj.observedGeneration < obj.generation;
  // After a failure Flux keeps Reconciling=True with reason ProgressingWithRetry: that means "will retry", not "working".
  const working = cond?.status === 'True' && cond.reason !== 'ProgressingWithRetry';
  return working || unobserved || ready?.status === 'Unknown';
}

/**
 * Derives what a Flux object is doing from its conditions, following the kstatus contract Flux implements
 * (flux-behaviour.md §0.3): Stalled=True or Ready=False means failed (except waiting for a dependency),
 * Reconciling=True, Ready=Unknown or an unobserved generation means work in progress, Ready=True means ready. Suspension wins because nothing will change until resumed.
 */
export function deriveFluxState(obj: FluxObjectData): FluxState {
  const ready = find(obj.conditions, 'Ready');
  const stalled = find(obj.conditions, 'Stalled');
  const reconciling = isReconciling(obj, ready);
  const base = {
    reconciling,
    ...(ready?.reason !== undefined && { reason: ready.reason }),
    ...(ready?.message !== undefined && { message: ready.message }),
    ...(ready?.lastTransitionTime !== undefined && { since: ready.lastTransitionTime }),
  };
  // Nothing will happen while suspended, whatever the conditions say was in progress.
  if (obj.suspended) return { ...base, reconciling: false, status: 'suspended' };
  if (stalled?.status === 'True')
    return {
      ...base,
      status: 'failed',
      reason: stalled.reason ?? base.reason,
      message: stalled.message ?? base.message,
    };
  // Waiting for a dependency (a Kustomization's dependsOn, an ImagePolicy's first scan) is not a failure: Flux
  // retries on its own once the other object is ready, and nothing here needs the user. A dependency cycle never
  // resolves by itself, so it stays failed.
  if (ready?.status === 'False' && waitingForDependency(ready)) return { ...base, status: 'progressing' };
  if (ready?.status === 'False') return { ...base, status: 'failed' };
  if (reconciling) return { ...base, status: 'progressing' };
  if (ready?.status === 'True') return { ...base, status: 'ready' };
  return { ...base, status: 'unknown' };
}

export function withState(obj: FluxObjectData): FluxObject {
  return { ...obj, state: deriveFluxState(obj) };
}

function waitingForDependency(ready: Condition): boolean {
  return ready.reason === 'DependencyNotReady' && !(ready.message ?? '').includes('dependency cycle');
}

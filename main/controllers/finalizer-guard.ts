import type { ReconcileOutcome } from '../engine/controller-manager.ts';
import { FLUX_FINALIZER } from '../flux/meta.ts';
import type { KubeObject } from '../util/kube-object.ts';

/**
 * The prologue every Flux reconciler shares: an object being deleted gets its cleanup (artifacts, stored tags) and
 * loses Flux's finalizer; a suspended one is left alone; any other gets the finalizer before work starts, so its
 * deletion always passes through the cleanup.
 */
export async function withFinalizer<T extends KubeObject & { spec: { suspend?: boolean } }>(
  obj: T,
  ports: { setFinalizer(obj: T, present: boolean): Promise<void> },
  run: () => Promise<ReconcileOutcome>,
  cleanup?: () => Promise<void>,
): Promise<ReconcileOutcome> {
  const has = (obj.metadata.finalizers ?? []).includes(FLUX_FINALIZER);
  if (obj.metadata.deletionTimestamp) {
    if (has) {
      await cleanup?.();
      await ports.setFinalizer(obj, false);
    }
    return {};
  }
  if (obj.spec.suspend) return {};
  if (!has) await ports.setFinalizer(obj, true);
  return run();
}
